// The BPE trainer: algorithm checks, option validation, and the committed trained fixture (which transformers.js
// loads and tokenizes identically: see GoldenIdsTests with "trained").
using SharpSeek.Tests;
using Xunit;

namespace SharpSeek.Tokenizers.Tests;

public class TrainerTests
{
    [Fact]
    public void MergesTheMostFrequentPairFirst()
    {
        var t = BpeTrainer.Train(["low low low low lower lowest newest newest"], new BpeTrainerOptions(7 + 256 + 3));
        // " l"+"o" style pairs: the first merge is the most frequent adjacent byte pair
        Assert.Equal(3, t.Merges.Count);
        Assert.Equal(("l", "o"), t.Merges[0]);
        Assert.Equal(("lo", "w"), t.Merges[1]);
    }

    [Fact]
    public void StopsBelowMinFrequency()
    {
        var t = BpeTrainer.Train(["abcdefg"], new BpeTrainerOptions(7 + 256 + 50, MinFrequency: 2));
        Assert.Empty(t.Merges);
    }

    [Fact]
    public void ValidatesOptions()
    {
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions(100)));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions(1000, MinFrequency: 0)));
    }

    [Fact]
    public void TrainedTokenizerRoundTripsAndKeepsSpecialTokens()
    {
        var dir = Directory.CreateTempSubdirectory("sharpseek-train-");
        try
        {
            BpeTrainer.Train(["hello world, hello tokenizer! <｜User｜>hi<｜Assistant｜><think>\nhmm</think>ok"], new BpeTrainerOptions(300)).Save(dir.FullName);
            var tok = Tokenizer.Load(dir.FullName);
            Assert.Equal(0, tok.BosId);
            Assert.Equal(1, tok.EosId);
            var text = "<｜User｜>héllo 世界 😀<｜Assistant｜><think>\n";
            var ids = tok.Encode(text, addSpecialTokens: true);
            Assert.Equal(0, ids[0]);
            Assert.Contains(tok.TokenToId("<｜User｜>")!.Value, ids);
            Assert.Equal(text, tok.Decode(ids, skipSpecialTokens: true));
            var prompt = ChatTemplate.Render(tok, [new ChatMessage("user", "2+2?")], addGenerationPrompt: true);
            Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜><think>\n", prompt);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void TrainerWritesThePublishedR1Template() =>
        Assert.Equal(TrainedBpe.R1ChatTemplate, File.ReadAllText(Fixtures.Path("tokenizers", "templates", "deepseek_r1_distill_qwen.jinja")));

    [Fact]
    public void CommittedFixtureIsReproducible()
    {
        // tests/fixtures/tokenizers/trained was written by `sharpseek tokenizer train --input trainer_input.txt --vocab-size 1000`
        var input = File.ReadAllText(Fixtures.Path("tokenizers", "trainer_input.txt"));
        var dir = Directory.CreateTempSubdirectory("sharpseek-train-");
        try
        {
            BpeTrainer.Train([input], new BpeTrainerOptions(1000)).Save(dir.FullName);
            Assert.Equal(File.ReadAllText(Fixtures.Path("tokenizers", "trained", "tokenizer.json")), File.ReadAllText(Path.Combine(dir.FullName, "tokenizer.json")));
        }
        finally { dir.Delete(true); }
    }
}
