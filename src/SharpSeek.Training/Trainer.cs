// One optimisation step as a list of calls: zero grads → (forward, backward) × grad_accum → clip → AdamW at the
// scheduled lr → auxiliary-loss-free bias update from the step's expert loads. No data, I/O or logging here.
namespace SharpSeek.Training;

public sealed record StepOptions
{
    public required LrScheduleOptions Lr { get; init; }
    public AdamWOptions AdamW { get; init; } = new();
    public float GradClip { get; init; } = 1f;
    public int GradAccum { get; init; } = 1;
    /// <summary>γ of auxiliary-loss-free balancing (V3 uses 0.001); 0 disables the bias update.</summary>
    public float BiasUpdateSpeed { get; init; } = 0.001f;
}

public sealed record StepResult(int Step, double Loss, double MainLoss, double MtpLoss, double BalanceLoss, double GradNorm, float Lr,
    long[][] ExpertLoad);

public sealed class Trainer(TrainModel model, StepOptions options)
{
    public TrainModel Model { get; } = model;
    public StepOptions Options { get; } = options;
    /// <summary>Steps taken so far (the next step's index).</summary>
    public int Step { get; set; }

    /// <summary>microBatch(i) gives micro-batch i of this step (i &lt; GradAccum).</summary>
    public StepResult TrainStep(Func<int, Batch> microBatch)
    {
        var arena = Model.Arena;
        Array.Clear(arena.Grad);
        foreach (var m in Model.MoeLayers) m.ResetLoad();
        int accum = Options.GradAccum;
        double loss = 0, main = 0, mtp = 0, bal = 0;
        for (int i = 0; i < accum; i++)
        {
            loss += Model.Forward(microBatch(i), 1f / accum) / accum;
            main += Model.LastMainLoss / accum; mtp += Model.LastMtpLoss / accum; bal += Model.LastBalanceLoss / accum;
            Model.Backward();
        }
        double norm = AdamW.ClipGradNorm(arena, Options.GradClip);
        float lr = Options.Lr.At(Step);
        AdamW.Step(arena, Step + 1, lr, Options.AdamW);
        var loads = Model.MoeLayers.Select(m => m.Load.ToArray()).ToArray();
        if (Options.BiasUpdateSpeed > 0) foreach (var m in Model.MoeLayers) m.UpdateBias(Options.BiasUpdateSpeed);
        Step++;
        return new StepResult(Step, loss, main, mtp, bal, norm, lr, loads);
    }
}
