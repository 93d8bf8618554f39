// The response format (R1Format) and the rule rewards.
using SharpSeek.Reasoning;
using SharpSeek.Reasoning.Tasks;

namespace SharpSeek.Reasoning.Tests;

public class FormatRewardTests
{
    [Theory]
    [InlineData("<think>\n12 + 7 = 19\n</think>\n<answer>19</answer>", true)]
    [InlineData("12 + 7 = 19\n</think>\n<answer>19</answer>", true)]               // the template opened <think>
    [InlineData("<think>a</think><answer>19</answer>\n", true)]                     // whitespace is free
    [InlineData("<think>\n\n</think>\n<answer>19</answer>", false)]                 // empty reasoning
    [InlineData("<think>a</think>\n<answer> </answer>", false)]                     // empty answer
    [InlineData("<think>a</think>\nThe answer is <answer>19</answer>", false)]      // text between
    [InlineData("<think>a</think>\n<answer>19</answer> done", false)]               // text after
    [InlineData("<think>a <answer>3</answer></think>\n<answer>19</answer>", false)] // tags inside the reasoning
    [InlineData("<think>a</think><think>b</think><answer>19</answer>", false)]
    [InlineData("<think>a</think><answer>19</answer><answer>20</answer>", false)]
    [InlineData("<think>a\n<answer>19</answer>", false)]                            // never closed the think
    [InlineData("<answer>19</answer>", false)]
    [InlineData("", false)]
    public void Strict_format(string completion, bool ok)
    {
        Assert.Equal(ok, R1Format.IsWellFormed(completion));
        Assert.Equal(ok ? 1.0 : 0.0, Rewards.Format(completion));
        Assert.Equal(ok, R1Format.Parse(completion).WellFormed);
    }

    [Fact]
    public void Parse_splits_reasoning_content_and_answer()
    {
        var r = R1Format.Parse("<think>\nLet me add.\n</think>\n<answer> 19 </answer>");
        Assert.Equal("Let me add.", r.Reasoning);
        Assert.Equal("<answer> 19 </answer>", r.Content);
        Assert.Equal("19", r.Answer);
        // the answer is only read after </think>: one inside the reasoning does not count
        var inside = R1Format.Parse("<think>maybe <answer>18</answer></think>\nso 19");
        Assert.Null(inside.Answer);
        Assert.Equal("so 19", inside.Content);
        // truncated: no </think> → no reasoning split, no answer
        var cut = R1Format.Parse("<think>\nLet me add 12 and");
        Assert.Null(cut.Reasoning);
        Assert.Null(cut.Answer);
        // several answers after </think>: the last one
        Assert.Equal("20", R1Format.Parse("x</think><answer>19</answer><answer>20</answer>").Answer);
    }

    [Fact]
    public void Completion_drops_what_the_template_already_wrote()
    {
        var assistant = R1Format.Assistant("r", "5");
        Assert.Equal("<think>\nr\n</think>\n<answer>5</answer>", assistant);
        Assert.Equal("r\n</think>\n<answer>5</answer>", R1Format.Completion("<｜User｜>q<｜Assistant｜><think>\n", assistant));
        Assert.Equal(assistant, R1Format.Completion("<｜User｜>q<｜Assistant｜>", assistant));
        Assert.True(R1Format.PromptOpensThink("…<｜Assistant｜><think>\n"));
    }

    static readonly Problem Add = new ArithmeticProblem(12, '+', 7);

    [Fact]
    public void Accuracy_needs_the_right_answer_after_think()
    {
        Assert.Equal(1, Rewards.Accuracy(Add, "<think>x</think><answer>19</answer>"));
        Assert.Equal(1, Rewards.Accuracy(Add, "x</think>\nblah <answer>19</answer>"));      // accuracy does not judge the format
        Assert.Equal(0, Rewards.Accuracy(Add, "<think>x</think><answer>18</answer>"));
        Assert.Equal(0, Rewards.Accuracy(Add, "<think><answer>19</answer>"));
        Assert.Equal(0, Rewards.Accuracy(Add, "19"));
    }

    [Fact]
    public void Config_parses_weights_and_names_unknown_rewards()
    {
        var c = RewardConfig.Parse("accuracy=1, format=0.1,overlong", maxCompletionLength: 100);
        Assert.Equal([new RewardTerm("accuracy", 1), new RewardTerm("format", 0.1), new RewardTerm("overlong", 1)], c.Terms);
        Assert.Equal(25, c.OverlongBuffer);
        var e = Assert.Throws<RewardConfigException>(() => RewardConfig.Parse("acuracy=1"));
        Assert.Contains("unknown reward 'acuracy'", e.Message);
        Assert.Contains("accuracy, format, overlong, kimi_length", e.Message);
        Assert.Contains("not a number", Assert.Throws<RewardConfigException>(() => RewardConfig.Parse("format=high")).Message);
        Assert.Contains("twice", Assert.Throws<RewardConfigException>(() => RewardConfig.Parse("format,format")).Message);
        Assert.Throws<RewardConfigException>(() => RewardConfig.Parse(""));
        Assert.Throws<RewardConfigException>(() => new RewardConfig { Terms = [new("overlong", 1)], MaxCompletionLength = 10, OverlongBuffer = 20 }.Validate());
    }

    [Theory]
    // L_max 100, L_cache 20: free up to 80, then linear to −1 at 100, −1 beyond
    [InlineData(50, 0)]
    [InlineData(80, 0)]
    [InlineData(90, -0.5)]
    [InlineData(100, -1)]
    [InlineData(120, -1)]
    public void Dapo_overlong_penalty(int length, double expected) => Assert.Equal(expected, Rewards.Overlong(length, 100, 20), 1e-12);

    [Fact]
    public void Kimi_length_reward_by_hand()
    {
        // lengths 10, 20, 30: λ = 0.5 − (len − 10)/20 = 0.5, 0, −0.5; wrong answers get min(0, λ)
        var r = Rewards.KimiLength([10, 20, 30], [true, false, true]);
        Assert.Equal([0.5, 0, -0.5], r);
        Assert.Equal([0.0, 0, -0.5], Rewards.KimiLength([10, 20, 30], [false, false, false]));
        Assert.Equal([0.0, 0], Rewards.KimiLength([7, 7], [true, false]));                  // equal lengths: no signal
    }

    [Fact]
    public void Scores_are_weighted_sums_with_per_term_values()
    {
        var config = RewardConfig.Parse("accuracy=1,format=0.1,overlong=0.5", maxCompletionLength: 100, overlongBuffer: 20);
        RewardInput[] group =
        [
            new(Add, "<think>12+7</think>\n<answer>19</answer>", 10),           // right, formatted: 1 + 0.1
            new(Add, "<think>12+7</think>\n<answer>18</answer>", 90),           // wrong, formatted, overlong −0.5: 0.1 − 0.25
            new(Add, "12+7</think> it is <answer>19</answer>", 10),             // right, badly formatted: 1
        ];
        var s = Rewards.Score(config, group);
        Assert.Equal(1.1, s[0].Total, 1e-12);
        Assert.Equal(-0.15, s[1].Total, 1e-12);
        Assert.Equal(-0.5, s[1].Terms["overlong"]);
        Assert.Equal(1.0, s[2].Total, 1e-12);
        Assert.Equal(0, s[2].Terms["format"]);
    }
}
