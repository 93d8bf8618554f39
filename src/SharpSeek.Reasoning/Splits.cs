// Train/test splits that are a property of the problem, not of the seed: a problem's canonical form (its Key) is
// hashed (FNV-1a 64 + a SplitMix finaliser, stable across runs and machines) into 1000 buckets, and bucket ranges
// are the pools. So problems drawn for training with any seed never include a held-out problem drawn with any seed.
// The training side is itself split so that the RL prompts are never the cold-start or pretraining problems (the R1
// recipe: GRPO learns from prompts and verifiable answers only; no reasoning trace of an RL prompt is ever shown).
using System.Text;

namespace SharpSeek.Reasoning;

public enum Split
{
    /// <summary>Held out for evaluation: buckets [0, 100) — 10%.</summary>
    Test,
    /// <summary>Cold-start SFT traces: buckets [100, 150) — 5%.</summary>
    ColdStart,
    /// <summary>Pretraining text (problem + answer, no trace): buckets [150, 400) — 25%.</summary>
    Pretrain,
    /// <summary>GRPO prompts: buckets [400, 1000) — 60%.</summary>
    Rl,
}

public static class Splits
{
    public const int Buckets = 1000;
    static readonly int[] Bounds = [0, 100, 150, 400, 1000];     // Split i owns [Bounds[i], Bounds[i+1])

    public static int Bucket(string key)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(key)) { h ^= b; h *= 0x100000001B3UL; }
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return (int)(h % Buckets);
    }

    public static Split Of(string key)
    {
        int b = Bucket(key);
        for (int i = 0; i < 4; i++) if (b < Bounds[i + 1]) return (Split)i;
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Every split except Test is training data of some stage.</summary>
    public static bool IsTrain(Split s) => s != Split.Test;

    public static Split Parse(string name) => name.ToLowerInvariant() switch
    {
        "test" => Split.Test,
        "coldstart" or "cold-start" or "cold_start" => Split.ColdStart,
        "pretrain" => Split.Pretrain,
        "rl" or "grpo" => Split.Rl,
        _ => throw new ArgumentException($"unknown split '{name}'; use test, coldstart, pretrain or rl"),
    };
}
