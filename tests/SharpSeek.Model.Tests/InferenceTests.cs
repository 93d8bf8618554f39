// The fast path (InferenceModel) against the golden logits and against the fp32 reference Transformer:
// one-shot prefill, chunked prefill, token-by-token decoding, several sequences batched in one step, f16 cache.
using SharpSeek.Model.Inference;
using SharpSeek.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeek.Model.Tests;

public class InferenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models() => new(GoldenLogitsTests.Models);

    static float[] Prefill(InferenceModel m, int[] ids, SequenceState seq)
    {
        var rows = ids.Select((t, i) => new BatchRow(t, seq.Length + i, seq)).ToArray();
        var logits = new float[ids.Length * m.Config.VocabSize];
        Assert.Equal(ids.Length, m.Forward(rows, logits));
        return logits;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Prefill_and_decode_match_golden(string model)
    {
        var golden = Golden.Read(model);
        if (golden.LogitsIfBf16 is not null) golden = golden with { Logits = golden.LogitsIfBf16 };   // FP8 → BF16 at load
        int T = golden.Ids.Length;
        using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = 2, MaxBatch = 4 });
        int v = m.Config.VocabSize;
        var prefill = Prefill(m, golden.Ids, m.NewSequence(T));       // chunks of 4 rows
        var seq = m.NewSequence(T);
        var step = new float[v];
        float worstPrefill = 0, worstDecode = 0;
        for (int t = 0; t < T; t++)
        {
            m.Forward([new BatchRow(golden.Ids[t], t, seq)], step);
            worstDecode = MathF.Max(worstDecode, GoldenLogitsTests.MaxAbsDiff(step, golden.Logits[t]));
            worstPrefill = MathF.Max(worstPrefill, GoldenLogitsTests.MaxAbsDiff(prefill.AsSpan(t * v, v), golden.Logits[t]));
        }
        output.WriteLine($"{model}: fast prefill {worstPrefill:E2}, fast decode {worstDecode:E2} (stored types: {m.WeightBytes} bytes)");
        Assert.True(worstPrefill <= GoldenLogitsTests.Tolerance, $"prefill {worstPrefill}");
        Assert.True(worstDecode <= GoldenLogitsTests.Tolerance, $"decode {worstDecode}");
    }

    /// <summary>
    /// Max |Δlogit| against the golden of a 3-row prefill (per-key paths) followed by the rest of the prompt as one
    /// chunk that also attends to the 3 cached rows (the chunk paths the options switch on).
    /// </summary>
    static float SplitPrefillWorst(string model, InferenceOptions options)
    {
        var golden = Golden.Read(model);
        if (golden.LogitsIfBf16 is not null) golden = golden with { Logits = golden.LogitsIfBf16 };
        int T = golden.Ids.Length;
        Assert.True(T - 3 >= 4, "the golden prompt is too short to exercise the chunk paths");
        using var m = InferenceModel.Load(Fixtures.Path("models", model), options);
        int v = m.Config.VocabSize;
        var seq = m.NewSequence(T);
        var first = Prefill(m, golden.Ids[..3], seq);
        var rest = Prefill(m, golden.Ids[3..], seq);
        float worst = 0;
        for (int t = 0; t < T; t++)
            worst = MathF.Max(worst, Golden.MaxAbsDiff(t < 3 ? first.AsSpan(t * v, v) : rest.AsSpan((t - 3) * v, v), golden.Logits[t]));
        return worst;
    }

    [Theory]
    [InlineData("qwen2-tied")]
    [InlineData("llama3-scaled")]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v2-group-limited")]
    public void Gemm_chunk_attention_and_expert_parallel_prefill_match_golden(string model)
    {
        // GQA attention as GEMMs over all cached keys, MoE experts spread over the two threads
        float worst = SplitPrefillWorst(model, new InferenceOptions { Threads = 2, ChunkAttentionMinRows = 4, ExpertParallelMinRows = 4 });
        output.WriteLine($"{model}: GEMM-attention / expert-parallel prefill max |Δlogit| = {worst:E2}");
        Assert.True(worst <= GoldenLogitsTests.Tolerance, $"{worst}");
    }

    [Theory]
    [InlineData("v2-group-limited")]
    [InlineData("qwen2-tied")]
    public void Long_prefill_on_two_threads_matches_one_thread(string model)
    {
        // 40 rows: the parallel SwiGLU (≥ 16 rows), experts claimed largest first and the per-row combine
        var ids = Enumerable.Repeat(Golden.Read(model).Ids, 5).SelectMany(x => x).Take(40).ToArray();
        float[] Run(int threads)
        {
            using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = threads });
            return Prefill(m, ids, m.NewSequence(ids.Length));
        }
        var one = Run(1);
        var two = Run(2);
        double scale = one.Max(Math.Abs);
        float d = Golden.MaxAbsDiff(one, two);
        output.WriteLine($"{model}: 40-row prefill, max |t2 − t1| = {d:E2} (logit scale {scale:F2})");
        Assert.True(d <= 1e-5 * scale, $"{d}");
    }

    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("v3-noqlora")]
    [InlineData("v2-group-limited")]
    [InlineData("v3-fp8")]
    public void Naive_mla_prefill_matches_golden(string model)
    {
        float worst = SplitPrefillWorst(model, new InferenceOptions { Threads = 2, NaiveMlaMinRows = 4 });
        output.WriteLine($"{model}: naive-MLA prefill max |Δlogit| = {worst:E2}");
        Assert.True(worst <= GoldenLogitsTests.Tolerance, $"{worst}");
    }

    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("qwen2-tied")]
    public void Batched_sequences_equal_separate_runs(string model)
    {
        var ids = Golden.Read(model).Ids;
        using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = 2 });
        int v = m.Config.VocabSize;
        // sequence A = ids, sequence B = ids reversed; prefill A's first half, then step both together, B prefilling in the same batch
        var a = m.NewSequence(ids.Length);
        var b = m.NewSequence(ids.Length);
        var rev = ids.Reverse().ToArray();
        var batched = new float[2 * v];
        Prefill(m, ids[..3], a);
        var logitsA = new List<float[]>();
        var logitsB = new List<float[]>();
        for (int t = 3; t < ids.Length; t++)
        {
            var rows = new List<BatchRow> { new(ids[t], t, a) };
            if (t == 3) rows.AddRange(rev[..4].Select((x, i) => new BatchRow(x, i, b, WantLogits: i == 3)));
            else rows.Add(new BatchRow(rev[t], t, b));
            Assert.Equal(2, m.Forward(rows.ToArray(), batched));
            logitsA.Add(batched[..v]);
            logitsB.Add(batched[v..]);
        }
        var soloA = Prefill(m, ids, m.NewSequence(ids.Length));
        var soloB = Prefill(m, rev, m.NewSequence(ids.Length));
        for (int t = 3; t < ids.Length; t++)
        {
            Assert.True(GoldenLogitsTests.MaxAbsDiff(logitsA[t - 3], soloA.AsSpan(t * v, v)) <= 1e-4f, $"A at {t}");
            Assert.True(GoldenLogitsTests.MaxAbsDiff(logitsB[t - 3], soloB.AsSpan(t * v, v)) <= 1e-4f, $"B at {t}");
        }
    }

    /// <summary>Decode attention splits each row's heads into blocks fixed by the row count, never by the thread count:
    /// one row (head blocks) and five rows of different sequences (all heads together) give the same bits at t1 and t2.</summary>
    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("qwen2-tied")]
    public void Decode_logits_do_not_depend_on_the_thread_count(string model)
    {
        var ids = Golden.Read(model).Ids;
        float[] Run(int threads)
        {
            using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = threads });
            int v = m.Config.VocabSize;
            var seqs = Enumerable.Range(0, 6).Select(_ => m.NewSequence(ids.Length)).ToArray();
            var all = new List<float>();
            var logits = new float[5 * v];
            for (int t = 0; t < ids.Length; t++)
            {
                m.Forward([new BatchRow(ids[t], t, seqs[0])], logits);          // one row
                all.AddRange(logits[..v]);
                var rows = Enumerable.Range(1, 5).Select(j => new BatchRow(ids[(t + j) % ids.Length], t, seqs[j])).ToArray();
                m.Forward(rows, logits);                                        // five sequences in one step
                all.AddRange(logits);
            }
            return [.. all];
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void F16_cache_stays_close()
    {
        var golden = Golden.Read("v3-qlora-yarn-mtp");
        using var m = InferenceModel.Load(Fixtures.Path("models", "v3-qlora-yarn-mtp"), new InferenceOptions { F16Cache = true });
        var seq = m.NewSequence(golden.Ids.Length);
        var logits = Prefill(m, golden.Ids, seq);
        int v = m.Config.VocabSize;
        float worst = 0;
        for (int t = 0; t < golden.Ids.Length; t++) worst = MathF.Max(worst, GoldenLogitsTests.MaxAbsDiff(logits.AsSpan(t * v, v), golden.Logits[t]));
        output.WriteLine($"f16 cache: max |Δlogit| {worst:E2}; {seq.BytesPerToken} bytes/token");
        Assert.True(worst < 5e-3f, $"{worst}");
        var c = (DeepseekV3Config)m.Config;
        Assert.Equal(2L * (c.NumHiddenLayers + c.NumNextnPredictLayers) * (c.KvLoraRank + c.QkRopeHeadDim), seq.BytesPerToken);   // + the MTP block's slot
    }

    [Fact]
    public void Bad_rows_are_rejected_before_any_work()
    {
        using var m = InferenceModel.Load(Fixtures.Path("models", "qwen2-tied"));
        var seq = m.NewSequence(4);
        var logits = new float[4 * m.Config.VocabSize];
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Forward([new BatchRow(m.Config.VocabSize, 0, seq)], logits));
        Assert.Throws<ArgumentException>(() => m.Forward([new BatchRow(1, 1, seq)], logits));              // skips position 0
        Assert.Throws<ArgumentException>(() => m.Forward([new BatchRow(1, 4, seq)], logits));              // past capacity
        Assert.Throws<ArgumentException>(() => m.Forward([new BatchRow(1, 0, seq)], new float[3]));        // logits too small
        Assert.Equal(0, seq.Length);
    }
}

// Counted on the calling thread with a 1-thread pool, so every kernel runs on it and the test host's own
// background threads (result reporting) cannot blur the count.
[CollectionDefinition("Allocation", DisableParallelization = true)]
public class AllocationCollection;

[Collection("Allocation")]
public class AllocationTests
{
    [Theory]
    [InlineData("v3-qlora-yarn-mtp")]
    [InlineData("llama3-scaled")]
    public void Decode_steps_allocate_nothing(string model)
    {
        using var m = InferenceModel.Load(Fixtures.Path("models", model), new InferenceOptions { Threads = 1 });
        var seq = m.NewSequence(64);
        var logits = new float[m.Config.VocabSize];
        var row = new BatchRow[1];
        for (int i = 0; i < 8; i++) { row[0] = new BatchRow(i % 7, i, seq); m.Forward(row, logits); }   // warm-up (JIT, thread-local scratch)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 8; i < 40; i++) { row[0] = new BatchRow(i % 7, i, seq); m.Forward(row, logits); }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"32 decode steps allocated {allocated} bytes");
    }
}
