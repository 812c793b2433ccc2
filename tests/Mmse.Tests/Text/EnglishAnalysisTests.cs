using Mmse.Text;

namespace Mmse.Tests.Text;

public class EnglishAnalysisTests
{
    [Fact]
    public void Inflected_forms_meet_in_one_stem()
    {
        Assert.Equal(["drill"], EnglishAnalysis.Tokenize("drills"));
        Assert.Equal(["drill"], EnglishAnalysis.Tokenize("drilling"));
        Assert.Equal(["drill"], EnglishAnalysis.AnalyzeWord("Drilled"));
    }

    [Fact]
    public void Stop_words_and_possessives_are_dropped()
    {
        Assert.Equal(["drill", "bit", "wood"], EnglishAnalysis.Tokenize("The drill bits for a wood"));
        Assert.Empty(EnglishAnalysis.AnalyzeWord("the"));
        Assert.Equal(["mcguir", "saw"], EnglishAnalysis.Tokenize("McGuire's saws")); // Porter stems the name too
    }

    [Fact]
    public void Cjk_text_keeps_the_plain_characters_and_bigrams()
    {
        Assert.Equal(["蓝牙", "牙耳", "耳机"], EnglishAnalysis.Tokenize("蓝牙耳机"));
        Assert.Equal(["drill", "电"], EnglishAnalysis.Tokenize("drills 电"));
        Assert.Equal(LexicalTokenizer.Tokenize("无线鼠标"), EnglishAnalysis.Tokenize("无线鼠标"));
    }

    [Fact]
    public void Hashed_tokeniser_with_english_analysis_matches_stemmed_words()
    {
        var english = new HashedTokenizer(new TokenizerOptions { Buckets = 1 << 16, Analysis = TextAnalysis.English });
        var plain = new HashedTokenizer(new TokenizerOptions { Buckets = 1 << 16 });
        Assert.Equal(english.Buckets("drills"), english.Buckets("drilling"));
        Assert.Equal(english.Buckets("cordless drill"), english.Buckets("the cordless drills"));
        Assert.NotEqual(plain.Buckets("drills"), plain.Buckets("drilling"));
        Assert.Equal(HashedTokenizer.Tokens("The Drills"), HashedTokenizer.Tokens("The Drills", TextAnalysis.Plain));
        Assert.Equal(["w:drill", "#dr", "dri", "ril", "ill", "ll#"], HashedTokenizer.Tokens("the drills", TextAnalysis.English).Select(t => t.StartsWith("t:", StringComparison.Ordinal) ? t[2..] : t));
    }

    [Fact]
    public void Hashed_tokeniser_with_english_analysis_leaves_cjk_tokens_alone()
    {
        var text = "蓝牙耳机 drills";
        var plainCjk = HashedTokenizer.Tokens(text).Where(t => t[0] is 'c' or 'd').ToList();
        var englishCjk = HashedTokenizer.Tokens(text, TextAnalysis.English).Where(t => t[0] is 'c' or 'd').ToList();
        Assert.Equal(plainCjk, englishCjk);
        Assert.Contains("w:drill", HashedTokenizer.Tokens(text, TextAnalysis.English));
    }
}
