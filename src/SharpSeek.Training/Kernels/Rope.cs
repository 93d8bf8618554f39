// Rotary embedding forward/backward on strided head slices, for both layouts: interleaved pairs (x[2j], x[2j+1])
// (DeepSeek) and rotate-half pairs (x[j], x[j+d/2]) (Qwen2/Llama). cos/sin: [maxPos, d/2] tables from the model's
// RopeTable (so training and inference share the angles bit for bit). Backward applies the transposed rotation.
using SharpSeek.Tensors;

namespace SharpSeek.Training.Kernels;

public static class Rope
{
    /// <summary>For rows i in [0,N), heads h in [0,heads): rotates buf[off + i·ld + h·stride .. +dim) by position pos[i].</summary>
    public static void Apply(float[] buf, int ld, int off, int heads, int stride, int dim, int N, int[] pos, float[] cos, float[] sin,
        bool interleaved, bool inverse)
    {
        int half = dim / 2;
        WorkerPool.Shared.ForEach((N + 63) / 64, ch =>
        {
            for (int i = ch * 64, end = Math.Min(N, i + 64); i < end; i++)
            {
                int t = pos[i] * half;
                for (int h = 0; h < heads; h++)
                {
                    int b = off + i * ld + h * stride;
                    for (int j = 0; j < half; j++)
                    {
                        float c = cos[t + j], s = inverse ? -sin[t + j] : sin[t + j];
                        int i0 = interleaved ? b + 2 * j : b + j, i1 = interleaved ? i0 + 1 : i0 + half;
                        float x0 = buf[i0], x1 = buf[i1];
                        buf[i0] = x0 * c - x1 * s;
                        buf[i1] = x0 * s + x1 * c;
                    }
                }
            }
        });
    }
}
