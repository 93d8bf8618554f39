// The terminal chat loop over any reader/writer (the `chat` verb passes the console; tests pass strings):
// streams the reply, reasoning dimmed and apart from the answer; /reset, /system, /save, /think, /help, /exit.
// Interrupt() stops a reply in progress (Ctrl-C); end of input (Ctrl-D) leaves the loop.
using System.Diagnostics;
using SharpSeek.Engine.Sampling;

namespace SharpSeek.Engine.Chat;

public sealed class ChatRepl(ChatSession session, TextReader input, TextWriter output, bool color)
{
    const string Dim = "\e[2m", Bold = "\e[1m", Reset = "\e[0m";
    CancellationTokenSource? current;

    public bool ShowReasoning { get; set; } = true;

    /// <summary>True while a reply is streaming.</summary>
    public bool Busy => current is not null;

    /// <summary>Stops the reply in progress; returns false when there is none (the caller may then exit).</summary>
    public bool Interrupt()
    {
        var c = current;
        if (c is null) return false;
        c.Cancel();
        return true;
    }

    string Style(string code, string text) => color && text.Length > 0 ? code + text + Reset : text;

    /// <summary>Model text with control characters removed (an untrained or hostile model could emit escape sequences).</summary>
    static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not '\n' and not '\t')) return text;
        return string.Concat(text.Where(c => !char.IsControl(c) || c is '\n' or '\t'));
    }

    public async Task<int> RunAsync()
    {
        output.WriteLine(Style(Dim, $"SharpSeek chat · model {session.Model.Id} · context {session.Model.ContextLength} tokens · /help for commands, Ctrl-D to quit"));
        while (true)
        {
            output.Write(Style(Bold, ">>> "));
            output.Flush();
            var line = await Task.Run(input.ReadLine);
            if (line is null) { output.WriteLine(); return 0; }
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!Command(line)) return 0;
                continue;
            }
            await ReplyAsync(line);
        }
    }

    /// <summary>Runs a slash command; false means quit.</summary>
    bool Command(string line)
    {
        int sp = line.IndexOf(' ');
        string cmd = sp < 0 ? line : line[..sp], arg = sp < 0 ? "" : line[(sp + 1)..].Trim();
        switch (cmd)
        {
            case "/exit" or "/quit" or "/bye":
                return false;
            case "/reset" or "/clear":
                session.Reset();
                output.WriteLine(Style(Dim, "(conversation cleared)"));
                break;
            case "/system":
                session.SystemPrompt = arg.Length == 0 ? null : arg;
                output.WriteLine(Style(Dim, arg.Length == 0 ? "(system prompt cleared)" : "(system prompt set)"));
                break;
            case "/save":
                var path = arg.Length > 0 ? arg : $"chat-{DateTime.Now:yyyyMMdd-HHmmss}.json";
                try { session.Save(path); output.WriteLine(Style(Dim, $"(saved {session.Turns.Count} messages to {path})")); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { output.WriteLine($"error: cannot save to {path}: {e.Message}"); }
                break;
            case "/think":
                ShowReasoning = arg != "off";
                output.WriteLine(Style(Dim, ShowReasoning ? "(reasoning shown)" : "(reasoning hidden)"));
                break;
            case "/budget":
                if (arg is "" or "off") { session.MaxReasoningTokens = null; output.WriteLine(Style(Dim, "(no thinking budget)")); }
                else if (int.TryParse(arg, out var budget) && budget >= 0) { session.MaxReasoningTokens = budget; output.WriteLine(Style(Dim, $"(thinking budget {budget} tokens)")); }
                else output.WriteLine("error: /budget takes a number of reasoning tokens ≥ 0, or off");
                break;
            case "/temperature" when float.TryParse(arg, System.Globalization.CultureInfo.InvariantCulture, out var t):
                try { var s = session.Sampling with { Temperature = t }; s.Validate(); session.Sampling = s; output.WriteLine(Style(Dim, $"(temperature {t})")); }
                catch (ParameterException e) { output.WriteLine("error: " + e.Message); }
                break;
            case "/help":
                output.WriteLine("""
                    /reset            start a new conversation
                    /system TEXT      set the system prompt (no text: clear it)
                    /save [FILE]      save the conversation as JSON (default chat-<time>.json)
                    /think on|off     show or hide the reasoning
                    /temperature T    sampling temperature (0 = greedy)
                    /budget N|off     cap the reasoning at N tokens (0 = answer without thinking)
                    /exit             quit (or Ctrl-D); Ctrl-C stops a reply
                    """);
                break;
            default:
                output.WriteLine($"unknown command {cmd}; /help lists them");
                break;
        }
        return true;
    }

    async Task ReplyAsync(string user)
    {
        using var cts = new CancellationTokenSource();
        current = cts;
        var clock = Stopwatch.StartNew();
        bool inReasoning = false, answered = false;
        try
        {
            await foreach (var d in session.SendAsync(user, cts.Token))
            {
                if (d.Reasoning.Length > 0 && ShowReasoning)
                {
                    if (!inReasoning) { output.Write(Style(Dim, "Thinking…\n")); inReasoning = true; }
                    output.Write(Style(Dim, Printable(d.Reasoning)));
                }
                if (d.Content.Length > 0)
                {
                    if (!answered && inReasoning) output.Write("\n\n");
                    answered = true;
                    output.Write(Printable(d.Content));
                }
                output.Flush();
            }
        }
        catch (Exception e) when (e is ParameterException or EngineBusyException)
        {
            output.WriteLine("error: " + e.Message + (e is ContextLengthException ? " (/reset starts a new conversation)" : ""));
            return;
        }
        finally { current = null; }
        var u = session.LastUsage;
        string why = session.LastFinish switch
        {
            FinishReason.Length => " · stopped at max tokens",
            FinishReason.Cancelled => " · interrupted",
            FinishReason.Error => " · error",
            _ => "",
        };
        double secs = clock.Elapsed.TotalSeconds;
        output.WriteLine();
        if (u is not null)
            output.WriteLine(Style(Dim, $"({u.CompletionTokens} tokens, {u.ReasoningTokens} reasoning · {u.CompletionTokens / Math.Max(secs, 1e-9):0.0} tok/s{why})"));
    }
}
