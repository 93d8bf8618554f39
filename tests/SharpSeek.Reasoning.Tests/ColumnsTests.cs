// Column arithmetic inside the Countdown traces: every single-digit step is true, and reading the columns by the rule
// the trace teaches (Columns.cs header) gives the stated result.
using System.Text.RegularExpressions;
using SharpSeek.Reasoning.Tasks;

namespace SharpSeek.Reasoning.Tests;

public class ColumnsTests
{
    [Theory]
    [InlineData(96, '+', 65, "96 + 65: 6+5=11, 9+6+1=16, so 161")]
    [InlineData(2, '+', 22, "2 + 22: 2+2=4, 0+2+0=2, so 24")]
    [InlineData(101, '-', 57, "101 - 57: 1-7<0, 11-7=4, 0-1-5<0, 10-1-5=4, 1-1-0=0, so 44")]
    [InlineData(91, '-', 81, "91 - 81: 1-1=0, 9-0-8=1, so 10")]
    [InlineData(2, '*', 22, "2 * 22: 2*2=4, 2*2+0=4, so 44")]
    [InlineData(87, '*', 6, "87 * 6: 7*6=42, 8*6+4=52, so 522")]
    [InlineData(96, '/', 8, "96 / 8: 9/8=1 r1, 16/8=2 r0, so 12")]
    [InlineData(150, '/', 5, "150 / 5: 1/5=0 r1, 15/5=3 r0, 0/5=0 r0, so 30")]
    [InlineData(12, '*', 15, "12 * 15 = 180")]
    [InlineData(88, '/', 11, "88 / 11 = 8")]
    public void Worked_examples(long a, char op, long b, string expected) => Assert.Equal(expected, Columns.Work(a, op, b).Text);

    [Theory]
    [InlineData(7, '/', 2)]
    [InlineData(5, '-', 9)]
    [InlineData(-3, '+', 2)]
    [InlineData(6, '/', 0)]
    public void Steps_that_are_not_whole_numbers_throw(long a, char op, long b) => Assert.Throws<ArgumentException>(() => Columns.Work(a, op, b));

    [Theory]
    [InlineData(87, 3, "87 / 3: 8/3=2 r2, 27/3=9 r0, so 29", 29L)]
    [InlineData(88, 3, "88 / 3: 8/3=2 r2, 28/3=9 r1, not whole", null)]
    [InlineData(3, 7, "3 / 7: 3/7=0 r3, not whole", null)]
    [InlineData(0, 4, "0 / 4: 0/4=0 r0, so 0", 0L)]
    public void Divide_says_whether_the_quotient_is_whole(long a, long s, string expected, long? value) =>
        Assert.Equal((expected, value), Columns.Divide(a, s));

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 10)]
    [InlineData(-4, 2)]
    public void Divide_takes_one_digit_divisors_from_2(long a, long s) => Assert.Throws<ArgumentException>(() => Columns.Divide(a, s));

    [Fact]
    public void Divide_agrees_with_integer_division()
    {
        for (long a = 0; a <= 300; a++)
            for (long s = 2; s <= 9; s++)
                Assert.Equal(a % s == 0 ? a / s : null, Columns.Divide(a, s).Value);
    }

    static readonly Regex Step = new(@"^(\d+)([-+*/])(\d+)(?:([-+])(\d+))?(?:=(\d+)(?: r(\d+))?|<0)$");

    [Fact]
    public void Every_column_is_true_and_the_columns_read_as_the_result()
    {
        for (long a = 0; a <= 200; a++)
            for (long b = 0; b <= 120; b++)
                foreach (char op in "+-*/")
                {
                    if (op == '-' && a < b || op == '/' && (b == 0 || a % b != 0)) continue;
                    var (text, value) = Columns.Work(a, op, b);
                    Assert.Equal(op switch { '+' => a + b, '-' => a - b, '*' => a * b, _ => a / b }, value);
                    int colon = text.IndexOf(':');
                    if (colon < 0) { Assert.Equal($"{a} {op} {b} = {value}", text); continue; }
                    Assert.EndsWith($", so {value}", text);
                    var steps = text[(colon + 2)..text.LastIndexOf(", so ", StringComparison.Ordinal)].Split(", ");
                    var results = new List<(long R, long Rem)>();
                    foreach (var s in steps)
                    {
                        var m = Step.Match(s);
                        Assert.True(m.Success, $"'{s}' in '{text}'");
                        long x = long.Parse(m.Groups[1].Value), y = long.Parse(m.Groups[3].Value);
                        long lhs = m.Groups[2].Value[0] switch { '+' => x + y, '-' => x - y, '*' => x * y, _ => x / y };
                        if (m.Groups[4].Success) lhs = m.Groups[4].Value == "+" ? lhs + long.Parse(m.Groups[5].Value) : lhs - long.Parse(m.Groups[5].Value);
                        if (!m.Groups[6].Success) { Assert.True(lhs < 0, $"'{s}' in '{text}'"); continue; }   // "d-e<0"
                        Assert.True(lhs == long.Parse(m.Groups[6].Value), $"'{s}' in '{text}'");
                        long rem = m.Groups[7].Success ? long.Parse(m.Groups[7].Value) : 0;
                        if (m.Groups[7].Success) Assert.Equal(x % y, rem);
                        results.Add((lhs, rem));
                    }
                    string read = op switch
                    {
                        '+' or '*' => (results[^1].R + string.Concat(results.Take(results.Count - 1).Reverse().Select(r => r.R % 10))).TrimStart('0'),
                        '-' => string.Concat(results.AsEnumerable().Reverse().Select(r => r.R)).TrimStart('0'),
                        _ => string.Concat(results.Select(r => r.R)).TrimStart('0'),
                    };
                    Assert.True((read.Length == 0 ? "0" : read) == value.ToString(), $"'{text}' reads as {read}");
                }
    }
}
