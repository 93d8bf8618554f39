// The causal language model of every supported family: embed → blocks → norm → head, over a KV cache,
// plus DeepSeek-V3's multi-token-prediction module when the checkpoint has one. fp32 reference path.
using SharpSeek.Tensors;

namespace SharpSeek.Model;

public sealed record LoadOptions
{
    /// <summary>MLA cache layout: naive (per-head k, v) or absorbed (latent + rope key).</summary>
    public MlaMode MlaMode { get; init; } = MlaMode.Absorbed;
    /// <summary>Load the MTP module when the checkpoint has one.</summary>
    public bool LoadMtp { get; init; } = true;
}

public sealed class Transformer
{
    public ModelConfig Config { get; }
    public float[] Embedding { get; }                 // [vocab, hidden]
    public Block[] Layers { get; }
    public float[] FinalNorm { get; }                 // [hidden]
    public float[] Head { get; }                      // [vocab, hidden]; the embedding itself when tied
    public Mtp? Mtp { get; }
    public IReadOnlyDictionary<string, long> DTypes { get; }   // dtype → tensor count as stored

    int D => Config.HiddenSize;
    int V => Config.VocabSize;
    float Eps => (float)Config.RmsNormEps;

    Transformer(ModelConfig config, float[] embedding, Block[] layers, float[] finalNorm, float[] head, Mtp? mtp, IReadOnlyDictionary<string, long> dtypes)
    {
        Config = config; Embedding = embedding; Layers = layers; FinalNorm = finalNorm; Head = head; Mtp = mtp; DTypes = dtypes;
    }

    /// <summary>Loads an HF folder (config.json + safetensors, single or sharded) or a .safetensors file with config.json beside it.</summary>
    public static Transformer Load(string path, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var (source, config) = TensorSources.Open(path);
        using var _ = source;
        var w = new WeightLoader(source, config);
        int d = config.HiddenSize, v = config.VocabSize;
        int headDim = config is DeepseekV3Config ds ? ds.QkRopeHeadDim : ((LlamaConfig)config).AttentionHeadDim;
        var rope = RopeTable.Create(headDim, config.RopeTheta, config.RopeScaling);

        var embedding = w.Load("model.embed_tokens.weight", "vocab_size, hidden_size", v, d);
        var layers = new Block[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = Block.Load(w, config, $"model.layers.{i}", rope, options.MlaMode, i);
        var norm = w.Norm("model.norm", "hidden_size", d);
        var head = config.TieWordEmbeddings ? embedding : w.Load("lm_head.weight", "vocab_size, hidden_size (tie_word_embeddings false)", v, d);
        if (config.TieWordEmbeddings && w.Has("lm_head.weight"))
        {
            // Some exports keep a copy of the tied head; it must agree with the embedding's shape.
            w.Load("lm_head.weight", "vocab_size, hidden_size", v, d);
        }

        Mtp? mtp = null;
        if (options.LoadMtp && config is DeepseekV3Config dc && dc.NumNextnPredictLayers > 0)
            mtp = Mtp.Load(w, dc, config.NumHiddenLayers, rope, options.MlaMode, embedding, head);

        var dtypes = source.Names.GroupBy(source.StoredType).ToDictionary(g => g.Key, g => (long)g.Count());
        return new Transformer(config, embedding, layers, norm, head, mtp, dtypes);
    }

    /// <summary>A cache for `capacity` tokens over every layer (and the MTP layer, last, when present).</summary>
    public KvCache NewCache(int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "cache capacity must be positive");
        var attns = Layers.Select(l => l.Attention).ToList();
        if (Mtp is not null) attns.Add(Mtp.Block.Attention);
        return new KvCache(capacity, attns.Select(a => a.KeyWidth).ToArray(), attns.Select(a => a.ValueWidth).ToArray());
    }

    /// <summary>
    /// Runs `tokens` at positions cache.Length.. and appends them to the cache.
    /// Returns logits [T, vocab]; `hidden` (if given, [T, hidden]) receives the final-normed hidden states the MTP module reads.
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, KvCache cache, float[]? hidden = null)
    {
        int T = tokens.Length, start = cache.Length;
        CheckTokens(tokens);
        if (T == 0) return [];
        if (start + T > cache.Capacity)
            throw new ArgumentException($"context overflow: {start} cached + {T} new tokens exceed the cache capacity of {cache.Capacity} tokens");
        if (hidden is not null && hidden.Length != T * D) throw new ArgumentException($"hidden must hold {T}×{D} floats");

        var x = new float[T * D];
        for (int t = 0; t < T; t++) Embedding.AsSpan(tokens[t] * D, D).CopyTo(x.AsSpan(t * D, D));
        for (int l = 0; l < Layers.Length; l++) Layers[l].Forward(x, T, start, cache, l);
        cache.Length = start + T;
        return NormAndHead(x, T, FinalNorm, Head, hidden);
    }

    /// <summary>
    /// The MTP module (V3 §2.2): entry j combines the main model's final-normed hidden state hidden[j] with the
    /// embedding of the next token nextTokens[j] and predicts the token after it. Entries sit at positions start..
    /// (the embedding at position 0 is zeroed, as vLLM does on the released weights);
    /// returns logits [T, vocab].
    /// </summary>
    public float[] ForwardMtp(ReadOnlySpan<int> nextTokens, ReadOnlySpan<float> hidden, int start, KvCache cache)
    {
        if (Mtp is null) throw new InvalidOperationException("this model has no multi-token-prediction module (num_nextn_predict_layers is 0 or it was not loaded)");
        CheckTokens(nextTokens);
        int T = nextTokens.Length;
        if (hidden.Length != T * D) throw new ArgumentException($"hidden has {hidden.Length} floats, expected {T}×{D}");
        if (start + T > cache.Capacity) throw new ArgumentException($"context overflow: MTP positions {start}..{start + T - 1} exceed the cache capacity of {cache.Capacity}");
        var x = Mtp.Combine(nextTokens, hidden, start);
        Mtp.Block.Forward(x, T, start, cache, Layers.Length);
        return NormAndHead(x, T, Mtp.Norm, Mtp.Head, null);
    }

    float[] NormAndHead(float[] x, int T, float[] norm, float[] head, float[]? hiddenOut)
    {
        var logits = new float[T * V];
        var normed = new float[D];
        for (int t = 0; t < T; t++)
        {
            Ops.RmsNorm(x.AsSpan(t * D, D), norm, Eps, normed);
            hiddenOut?.AsSpan(t * D, D).CopyFrom(normed);
            Ops.MatVec(head, normed, logits.AsSpan(t * V, V));
        }
        return logits;
    }

    void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (var id in tokens)
            if ((uint)id >= (uint)V) throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token id {id} is out of range for vocab_size {V}");
    }

    public long ParameterCount => Embedding.LongLength + Layers.Sum(l => l.ParameterCount) + FinalNorm.Length
        + (ReferenceEquals(Head, Embedding) ? 0 : Head.LongLength);
    /// <summary>Parameters one token touches in the main model (embedding row excluded as llama.cpp and papers do not).</summary>
    public long ActiveParameterCount => Layers.Sum(l => l.ActiveParameterCount) + FinalNorm.Length + Head.LongLength;
}

static class SpanExtensions
{
    public static void CopyFrom(this Span<float> dst, ReadOnlySpan<float> src) => src.CopyTo(dst);
}
