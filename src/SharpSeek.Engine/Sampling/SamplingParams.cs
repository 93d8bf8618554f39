// What a request asks of the sampler; validated once at submission with messages that name the OpenAI parameter.
namespace SharpSeek.Engine.Sampling;

public sealed record SamplingParams
{
    /// <summary>0 = greedy. OpenAI's default is 1; DeepSeek recommends 0.6 for R1.</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Keep the k most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>Nucleus: the smallest set whose probability reaches p; 1 = off.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens whose probability is below min_p × the top probability; 0 = off.</summary>
    public float MinP { get; init; }
    /// <summary>HF/CTRL repetition penalty over prompt + output tokens (logit / p if positive, × p if negative); 1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>OpenAI: subtract once from the logit of every token already generated; range [-2, 2].</summary>
    public float PresencePenalty { get; init; }
    /// <summary>OpenAI: subtract count × this from the logit of every generated token; range [-2, 2].</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Seed of the sequence's random stream; null = a random seed.</summary>
    public int? Seed { get; init; }
    /// <summary>Return the log-probability of each chosen token.</summary>
    public bool Logprobs { get; init; }
    /// <summary>Also return this many most likely alternatives per position (0..20).</summary>
    public int TopLogprobs { get; init; }

    public const int MaxTopLogprobs = 20;

    /// <summary>Throws <see cref="ParameterException"/> naming the OpenAI parameter and the allowed range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0 && Temperature <= 2)) throw new ParameterException("temperature", $"temperature must be between 0 and 2 (got {Temperature})");
        if (TopK < 0) throw new ParameterException("top_k", $"top_k must be ≥ 0, 0 = off (got {TopK})");
        if (!(TopP > 0 && TopP <= 1)) throw new ParameterException("top_p", $"top_p must be in (0, 1] (got {TopP})");
        if (!(MinP >= 0 && MinP <= 1)) throw new ParameterException("min_p", $"min_p must be in [0, 1] (got {MinP})");
        if (!(RepetitionPenalty > 0 && RepetitionPenalty <= 10)) throw new ParameterException("repetition_penalty", $"repetition_penalty must be in (0, 10] (got {RepetitionPenalty})");
        if (!(PresencePenalty >= -2 && PresencePenalty <= 2)) throw new ParameterException("presence_penalty", $"presence_penalty must be between -2 and 2 (got {PresencePenalty})");
        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2)) throw new ParameterException("frequency_penalty", $"frequency_penalty must be between -2 and 2 (got {FrequencyPenalty})");
        if (TopLogprobs < 0 || TopLogprobs > MaxTopLogprobs) throw new ParameterException("top_logprobs", $"top_logprobs must be between 0 and {MaxTopLogprobs} (got {TopLogprobs})");
    }
}

/// <summary>A request parameter out of range; <see cref="Param"/> is its OpenAI name (the server's 400 carries it).</summary>
public class ParameterException(string param, string message) : ArgumentException(message)
{
    public string Param { get; } = param;
}
