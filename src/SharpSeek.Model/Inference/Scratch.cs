// Run-state buffers of the fast path, sized once for MaxBatch rows (llama2.c's RunState).
namespace SharpSeek.Model.Inference;

public sealed partial class InferenceModel
{
    sealed class Scratch
    {
        public readonly float[] X, Xn, Delta;             // [N, hidden]
        public readonly float[] Cat;                      // [N, 2·hidden] (MTP input)
        public readonly float[] Q, QA, Kv, K, Vv, Heads;  // attention projections
        public readonly float[] G, U;                     // [N, ffn width]
        public readonly float[] Xe, Ge, Ue, De;           // MoE: rows gathered for one expert
        public readonly int[] ExpertIdx;                  // [N, top-k]
        public readonly float[] ExpertW;                  // [N, top-k]
        public readonly int[] ExpertRows, ExpertSlots, ExpertCount; // rows grouped by expert
        public readonly int[] ExpertPos, ExpertOrder;     // [N, top-k]: a slot's index in expert order; [experts]: experts by row count, largest first
        public float[]? ExpertOut;                        // MoE prefill: [n·top_k, hidden] outputs in expert order (made on first use)
        public readonly float[] GateScratch;

        public Scratch(InferenceModel m)
        {
            var c = m.Config;
            int n = m.Options.MaxBatch, d = c.HiddenSize;
            X = new float[n * d]; Xn = new float[n * d]; Delta = new float[n * d]; Cat = new float[2 * n * d];
            int qWidth, kvWidth, headsWidth, qa = 0, k = 0, v = 0;
            int ffn = c.IntermediateSize, expertWidth = 0, experts = 0, topK = 0, gate = 0;
            if (c is DeepseekV3Config ds)
            {
                qWidth = ds.NumAttentionHeads * ds.QkHeadDim;
                kvWidth = ds.KvLoraRank + ds.QkRopeHeadDim;
                headsWidth = ds.NumAttentionHeads * ds.VHeadDim;
                qa = ds.QLoraRank ?? 0;
                if (ds.HasMoe)
                {
                    ffn = Math.Max(ffn, ds.NSharedExperts * ds.MoeIntermediateSize);
                    expertWidth = ds.MoeIntermediateSize; experts = ds.NRoutedExperts; topK = ds.NumExpertsPerTok;
                    gate = 2 * experts + ds.NGroup;
                }
            }
            else
            {
                var l = (LlamaConfig)c;
                qWidth = headsWidth = l.NumAttentionHeads * l.AttentionHeadDim;
                kvWidth = 0; k = v = l.KvHeads * l.AttentionHeadDim;
            }
            Q = new float[n * qWidth]; QA = new float[n * qa]; Kv = new float[n * kvWidth];
            K = new float[n * k]; Vv = new float[n * v]; Heads = new float[n * headsWidth];
            G = new float[n * ffn]; U = new float[n * ffn];
            Xe = new float[n * d]; Ge = new float[n * expertWidth]; Ue = new float[n * expertWidth]; De = new float[n * d];
            ExpertIdx = new int[n * topK]; ExpertW = new float[n * topK];
            ExpertRows = new int[n * topK]; ExpertSlots = new int[n * topK]; ExpertCount = new int[experts + 1];
            ExpertPos = new int[n * topK]; ExpertOrder = new int[experts];
            GateScratch = new float[gate];
        }
    }
}
