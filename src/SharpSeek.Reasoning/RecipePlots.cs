// The curves R1 shows for its RL run (Fig. 2 and 3 of the paper), from a GRPO metrics.jsonl: training reward and
// accuracy, held-out pass@1 per task, and mean response length, all over RL steps (ScottPlot PNGs).
using System.Text.Json;
using SharpSeek.Training;

namespace SharpSeek.Reasoning;

public static class RecipePlots
{
    public static IReadOnlyList<string> DrawGrpo(string metricsPath, string outDir)
    {
        if (!File.Exists(metricsPath)) return [];
        var steps = new List<double>(); var reward = new List<double>(); var acc = new List<double>(); var len = new List<double>();
        var evalSteps = new List<double>(); var evalLen = new List<double>();
        var pass = new Dictionary<string, List<double>>();
        foreach (var line in File.ReadLines(metricsPath))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); } catch (JsonException) { continue; }
            using (doc)
            {
                var r = doc.RootElement;
                int step = r.GetProperty("step").GetInt32();
                if (r.TryGetProperty("reward", out var rw))
                {
                    steps.Add(step); reward.Add(rw.GetDouble());
                    acc.Add(r.GetProperty("accuracy").GetDouble()); len.Add(r.GetProperty("length").GetDouble());
                }
                if (r.TryGetProperty("held_out", out var h) && h.ValueKind == JsonValueKind.Object)
                {
                    evalSteps.Add(step);
                    foreach (var p in h.EnumerateObject())
                    {
                        if (p.Name == "mean_length") { evalLen.Add(p.Value.GetDouble()); continue; }
                        if (!pass.TryGetValue(p.Name, out var list)) pass[p.Name] = list = [];
                        list.Add(p.Value.GetDouble());
                    }
                }
            }
        }
        var files = new List<string>();
        if (steps.Count > 0)
        {
            var p = new ScottPlot.Plot();
            p.Add.ScatterLine(steps.ToArray(), Smooth(reward, 5)).LegendText = "mean reward (accuracy + 0.1·format)";
            p.Add.ScatterLine(steps.ToArray(), Smooth(acc, 5)).LegendText = "rollout accuracy";
            p.Title("GRPO training reward (moving average of 5 steps)"); p.XLabel("RL step"); p.YLabel("reward / accuracy");
            p.ShowLegend(ScottPlot.Alignment.LowerRight);
            files.Add(Plots.Save(p, Path.Combine(outDir, "reward.png")));

            p = new ScottPlot.Plot();
            p.Add.ScatterLine(steps.ToArray(), Smooth(len, 5)).LegendText = "rollouts (T = 1.0)";
            if (evalLen.Count == evalSteps.Count && evalLen.Count > 0) p.Add.ScatterLine(evalSteps.ToArray(), evalLen.ToArray()).LegendText = "held-out (T = 0.6)";
            p.Title("Mean response length"); p.XLabel("RL step"); p.YLabel("tokens");
            p.ShowLegend(ScottPlot.Alignment.UpperRight);
            files.Add(Plots.Save(p, Path.Combine(outDir, "length.png")));
        }
        if (evalSteps.Count > 0)
        {
            var p = new ScottPlot.Plot();
            foreach (var (task, values) in pass)
                if (values.Count == evalSteps.Count) p.Add.ScatterLine(evalSteps.ToArray(), values.ToArray()).LegendText = task;
            p.Title("Held-out pass@1 (Test split, k samples at T = 0.6, top-p 0.95)"); p.XLabel("RL step"); p.YLabel("pass@1");
            p.Axes.SetLimitsY(0, 1);
            p.ShowLegend(ScottPlot.Alignment.LowerRight);
            files.Add(Plots.Save(p, Path.Combine(outDir, "pass_at_1.png")));
        }
        return files;
    }

    static double[] Smooth(List<double> v, int w) =>
        v.Select((_, i) => v.Skip(Math.Max(0, i - w + 1)).Take(Math.Min(w, i + 1)).Average()).ToArray();
}
