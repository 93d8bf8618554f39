// SharpSeek.Engine: generation (sampler stages, <think> splitter, continuous-batching scheduler), IChatClient (issue 8).
namespace SharpSeek.Engine;
