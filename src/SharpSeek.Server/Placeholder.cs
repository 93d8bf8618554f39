// SharpSeek.Server: OpenAI/DeepSeek-compatible HTTP API, SSE, web chat page (issue 8).
namespace SharpSeek.Server;
