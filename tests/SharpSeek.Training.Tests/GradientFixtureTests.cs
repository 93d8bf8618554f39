// Loss, every parameter's gradient, and every parameter after 3 training steps against PyTorch autograd
// (tests/fixtures/train/*, made by tools/train/make_grad_fixtures.py — rerun it when the format changes).
using System.Text.Json;
using SharpSeek.Formats;
using SharpSeek.Model;
using SharpSeek.Tests;
using Xunit.Abstractions;

namespace SharpSeek.Training.Tests;

public class GradientFixtureTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v3-tiny")]
    [InlineData("qwen2-tiny")]
    public void MatchesPyTorchAutograd(string name)
    {
        string dir = Fixtures.Path("train", name);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "golden.json")));
        var g = doc.RootElement;
        var hp = g.GetProperty("hyper");
        var tol = g.GetProperty("tolerance");
        int B = g.GetProperty("B").GetInt32(), T = g.GetProperty("T").GetInt32();
        var batch = new Batch(B, T, Ints(g.GetProperty("inputs")), Ints(g.GetProperty("targets")));

        var model = new TrainModel(ModelConfig.Load(dir));
        model.LoadWeights(dir);
        model.MtpWeight = F(hp, "mtp_weight");
        model.SetBalanceAlpha(F(hp, "alpha"));
        var trainer = new Trainer(model, new StepOptions
        {
            Lr = new LrScheduleOptions(F(hp, "lr"), F(hp, "lr"), 0, 100, LrSchedule.Constant),
            AdamW = new AdamWOptions(F(hp, "beta1"), F(hp, "beta2"), F(hp, "eps"), F(hp, "weight_decay")),
            GradClip = F(hp, "grad_clip"),
            BiasUpdateSpeed = F(hp, "bias_gamma"),
        });

        // step 0: loss and gradients (before clipping) — run forward/backward by hand, then let the trainer redo it
        Array.Clear(model.Arena.Grad);
        double loss0 = model.Forward(batch);
        model.Backward();
        var steps = g.GetProperty("steps");
        double refLoss0 = steps[0].GetProperty("loss").GetDouble();
        output.WriteLine($"{name}: loss {loss0:F7} vs PyTorch {refLoss0:F7} (Δ {Math.Abs(loss0 - refLoss0):E2})");
        Assert.True(Math.Abs(loss0 - refLoss0) <= tol.GetProperty("loss").GetDouble(), $"loss {loss0} vs {refLoss0}");

        var noise = g.GetProperty("grad_noise_f32_vs_f64");
        double gAbs = tol.GetProperty("grad_abs").GetDouble(), gRel = tol.GetProperty("grad_rel").GetDouble();
        var failures = new List<string>();
        using (var grads = Checkpoint.Open(Path.Combine(dir, "grads.safetensors")))
        {
            Assert.Equal(model.Arena.Slices.Count(s => s.Trainable), grads.Count);
            output.WriteLine($"{"tensor",-58} {"max|g|",10} {"max|Δ|",10} {"torch f32-f64",13}");
            foreach (var s in model.Arena.Slices.Where(s => s.Trainable))
            {
                var expect = grads.ReadFloat32(s.Name);
                var got = model.Arena.G(s);
                double max = 0, diff = 0;
                for (int i = 0; i < expect.Length; i++) { max = Math.Max(max, Math.Abs(expect[i])); diff = Math.Max(diff, Math.Abs(expect[i] - got[i])); }
                output.WriteLine($"{s.Name,-58} {max,10:E2} {diff,10:E2} {noise.GetProperty(s.Name).GetDouble(),13:E2}");
                if (diff > gAbs + gRel * max) failures.Add($"{s.Name}: max|Δ| {diff:E2} > {gAbs + gRel * max:E2}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // 3 full steps from the same start: loss per step, then every parameter (and correction bias)
        model.LoadWeights(dir);
        for (int s = 0; s < steps.GetArrayLength(); s++)
        {
            var r = trainer.TrainStep(_ => batch);
            double refLoss = steps[s].GetProperty("loss").GetDouble(), refNorm = steps[s].GetProperty("grad_norm").GetDouble();
            output.WriteLine($"step {s}: loss {r.Loss:F7} (ref {refLoss:F7}), |g| {r.GradNorm:F6} (ref {refNorm:F6})");
            Assert.True(Math.Abs(r.Loss - refLoss) <= 1e-4, $"step {s} loss {r.Loss} vs {refLoss}");
            Assert.True(Math.Abs(r.GradNorm - refNorm) <= 1e-4 * refNorm, $"step {s} grad norm {r.GradNorm} vs {refNorm}");
        }
        double pTol = tol.GetProperty("param_abs").GetDouble(), worst = 0;
        string worstName = "";
        using (var after = Checkpoint.Open(Path.Combine(dir, "after3.safetensors")))
            foreach (var s in model.Arena.Slices)
            {
                var expect = after.ReadFloat32(s.Name);
                var got = model.Arena.P(s);
                for (int i = 0; i < expect.Length; i++)
                    if (Math.Abs(expect[i] - got[i]) > worst) { worst = Math.Abs(expect[i] - got[i]); worstName = s.Name; }
            }
        output.WriteLine($"params after 3 steps: max|Δ| {worst:E2} ({worstName})");
        Assert.True(worst <= pTol, $"params after 3 steps differ by {worst} in {worstName}");
    }

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
    static float F(JsonElement e, string key) => (float)e.GetProperty(key).GetDouble();
}
