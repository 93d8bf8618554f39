// Training curves from metrics.jsonl as PNGs (ScottPlot): loss (total, main, MTP), learning rate, and per-expert
// load of each MoE layer (fraction of routed tokens; 1/E is perfect balance).
using System.Text.Json;

namespace SharpSeek.Training;

public static class Plots
{
    public static IReadOnlyList<string> Draw(string metricsPath, string outDir)
    {
        var steps = new List<double>(); var loss = new List<double>(); var main = new List<double>(); var mtp = new List<double>();
        var lr = new List<double>(); var loads = new List<long[][]>();
        if (!File.Exists(metricsPath)) return [];
        foreach (var line in File.ReadLines(metricsPath))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); } catch (JsonException) { continue; }
            using (doc)
            {
                var r = doc.RootElement;
                steps.Add(r.GetProperty("step").GetInt32());
                loss.Add(r.GetProperty("loss").GetDouble());
                main.Add(r.GetProperty("main_loss").GetDouble());
                mtp.Add(r.GetProperty("mtp_loss").GetDouble());
                lr.Add(r.GetProperty("lr").GetDouble());
                loads.Add(r.GetProperty("expert_load").EnumerateArray().Select(l => l.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray());
            }
        }
        if (steps.Count == 0) return [];
        var files = new List<string>();
        var xs = steps.ToArray();

        var p = new ScottPlot.Plot();
        p.Add.ScatterLine(xs, loss.ToArray()).LegendText = "total";
        if (mtp.Any(v => v > 0))
        {
            p.Add.ScatterLine(xs, main.ToArray()).LegendText = "main (next token)";
            p.Add.ScatterLine(xs, mtp.ToArray()).LegendText = "MTP (token after next)";
        }
        p.Title("Training loss"); p.XLabel("step"); p.YLabel("cross-entropy (nats)");
        p.ShowLegend(ScottPlot.Alignment.UpperRight);
        files.Add(Save(p, Path.Combine(outDir, "loss.png")));

        p = new ScottPlot.Plot();
        p.Add.ScatterLine(xs, lr.ToArray());
        p.Title("Learning rate"); p.XLabel("step"); p.YLabel("lr");
        files.Add(Save(p, Path.Combine(outDir, "lr.png")));

        int layers = loads[^1].Length;
        if (layers > 0)
        {
            p = new ScottPlot.Plot();
            for (int l = 0; l < layers; l++)
            {
                // load spread per MoE layer: max/mean expert load (1 = perfectly balanced)
                var spread = loads.Select(s => { var x = s[l]; double m = x.Average(); return m > 0 ? x.Max() / m : 1; }).ToArray();
                p.Add.ScatterLine(xs, spread).LegendText = $"MoE layer #{l + 1}";
            }
            p.Title("Expert load: max / mean tokens per expert (MoE layers in order; the last is MTP's when present)");
            p.XLabel("step"); p.YLabel("max/mean (1 = balanced)");
            p.ShowLegend(ScottPlot.Alignment.UpperRight);
            files.Add(Save(p, Path.Combine(outDir, "expert_load.png")));
        }
        return files;
    }

    /// <summary>Writes a 900×500 PNG atomically (temp file + rename).</summary>
    public static string Save(ScottPlot.Plot p, string path)
    {
        string temp = path + ".tmp.png";
        p.SavePng(temp, 900, 500);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
