// SharpSeek.Training: llm.c-style forward/backward of the model modules, AdamW, data, checkpoints (issue 6).
namespace SharpSeek.Training;
