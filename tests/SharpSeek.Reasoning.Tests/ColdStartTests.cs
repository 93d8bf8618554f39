// Cold-start traces: correct, well-formed, from the ColdStart split only, short enough for a tiny model.
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;
using Xunit.Abstractions;

namespace SharpSeek.Reasoning.Tests;

public class ColdStartTests(ITestOutputHelper output)
{
    [Fact]
    public void Traces_verify_and_come_from_the_cold_start_split_only()
    {
        var tasks = TaskRegistry.Names.Select(TaskRegistry.Get).ToList();
        var examples = ColdStart.Build(tasks, 40, seed: 1);
        Assert.Equal(40 * tasks.Count, examples.Count);
        var rl = tasks.SelectMany(t => t.Generate(Split.Rl, 200, 1)).Select(p => p.Prompt).ToHashSet();
        var test = tasks.SelectMany(t => t.Generate(Split.Test, 200, 1)).Select(p => p.Prompt).ToHashSet();
        foreach (var e in examples)
        {
            Assert.True(R1Format.IsWellFormed(e.Assistant), e.Assistant);
            Assert.DoesNotContain(e.Prompt, rl);
            Assert.DoesNotContain(e.Prompt, test);
        }
        foreach (var g in examples.GroupBy(e => e.Task))
        {
            var lengths = g.Select(e => e.Assistant.Length).ToList();
            output.WriteLine($"{g.Key}: mean {lengths.Average():F0} chars, max {lengths.Max()}");
            Assert.True(lengths.Max() < 1200, $"{g.Key}: a {lengths.Max()}-character trace is too long for the tiny model's context");
        }
        foreach (var e in examples.Take(tasks.Count)) output.WriteLine($"--- {e.Prompt}\n{e.Assistant}");
    }

    [Fact]
    public void Countdown_traces_search_before_they_find()
    {
        var task = new CountdownTask(3);
        var examples = ColdStart.Build([task], 60, seed: 2);
        Assert.Contains(examples, e => e.Reasoning.Contains(" is not "));                         // some failed attempts
        Assert.Contains(examples, e => !e.Reasoning.Contains(" is not "));                        // and some direct finds
        Assert.All(examples, e => Assert.Contains("That is the target.", e.Reasoning));
    }

    [Fact]
    public void Arithmetic_traces_work_column_by_column()
    {
        var t = new ArithmeticTask().Think(new ArithmeticProblem(4821, '+', 379), new DetRandom(1));
        Assert.Equal("Add column by column from the right.\n1 + 9 = 10, write 0, carry 1\n2 + 7 + 1 = 10, write 0, carry 1\n8 + 3 + 1 = 12, write 2, carry 1\n4 + 1 = 5, write 5\nSo 4821 + 379 = 5200.", t.Reasoning);
        t = new ArithmeticTask().Think(new ArithmeticProblem(379, '-', 4821), new DetRandom(1));
        Assert.Equal("379 is less than 4821, so compute 4821 - 379 and make it negative.\nSubtract column by column from the right.\n1 - 9 needs a borrow: 11 - 9 = 2, write 2, borrow 1\n2 - 7 - 1 needs a borrow: 12 - 7 - 1 = 4, write 4, borrow 1\n8 - 3 - 1 = 4, write 4\nbring down 4\n4821 - 379 = 4442, so the result is -4442.\nSo 379 - 4821 = -4442.", t.Reasoning);
        Assert.Equal("-4442", t.Answer);
        t = new ArithmeticTask().Think(new ArithmeticProblem(347, '*', 86), new DetRandom(1));
        Assert.Contains("347 * 6: 7 * 6 = 42, write 2, carry 4; 4 * 6 + 4 = 28, write 8, carry 2; 3 * 6 + 2 = 20, write 20. So 347 * 6 = 2082.", t.Reasoning);
        Assert.EndsWith("So 347 * 86 = 29842.", t.Reasoning);
        output.WriteLine(t.Reasoning);
    }

    [Fact]
    public void Jsonl_round_trip()
    {
        var examples = ColdStart.Build([new LinearTask()], 5, seed: 3);
        var path = Path.Combine(Path.GetTempPath(), $"coldstart-{Guid.NewGuid():N}.jsonl");
        try
        {
            ColdStart.WriteJsonl(path, examples);
            Assert.Contains("\"assistant\":\"<think>\\n", File.ReadAllText(path));
            Assert.Equal(examples, ColdStart.ReadJsonl(path));
        }
        finally { File.Delete(path); }
    }
}
