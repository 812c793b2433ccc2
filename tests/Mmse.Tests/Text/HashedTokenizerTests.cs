using Mmse.Text;

namespace Mmse.Tests.Text;

public class HashedTokenizerTests
{
    [Fact]
    public void Tokens_follow_the_spec_order_for_english()
    {
        var tokens = HashedTokenizer.Tokens("Red  Kettle!");
        Assert.Equal(
            ["w:red", "w:kettle", "b:red kettle", "t:#re", "t:red", "t:ed#", "t:#ke", "t:ket", "t:ett", "t:ttl", "t:tle", "t:le#"],
            tokens);
    }

    [Fact]
    public void Cjk_runs_give_characters_and_bigrams_and_do_not_break_word_pairs()
    {
        var tokens = HashedTokenizer.Tokens("iPhone 手机壳 Pro");
        Assert.Equal(
            ["w:iphone", "w:pro", "b:iphone pro",
             "t:#ip", "t:iph", "t:pho", "t:hon", "t:one", "t:ne#", "t:#pr", "t:pro", "t:ro#",
             "c:手", "c:机", "c:壳", "d:手机", "d:机壳"],
            tokens);
    }

    [Fact]
    public void Nfkc_and_lower_case_apply_first()
    {
        // Full-width letters fold to ASCII under NFKC.
        Assert.Equal(HashedTokenizer.Tokens("kettle"), HashedTokenizer.Tokens("ＫＥＴＴＬＥ"));
        Assert.Empty(HashedTokenizer.Tokens(" - ! "));
    }

    [Fact]
    public void Fnv1a_matches_the_published_test_vectors()
    {
        // FNV-1a 64 of "" and "a" with seed 0 (the offset basis is unchanged).
        Assert.Equal(0xcbf29ce484222325UL, HashedTokenizer.Hash([], 0));
        Assert.Equal(0xaf63dc4c8601ec8cUL, HashedTokenizer.Hash("a"u8, 0));
    }

    [Fact]
    public void Golden_bucket_ids_are_pinned()
    {
        var t = new HashedTokenizer();
        Assert.Equal(Golden.English, t.Buckets("Red Kettle"));
        Assert.Equal(Golden.Cjk, t.Buckets("手机壳"));
        Assert.Equal(Golden.Mixed, t.Buckets("iPhone 手机壳"));
        var seeded = new HashedTokenizer(new TokenizerOptions { Seed = 7, Buckets = 1000 });
        Assert.Equal(Golden.Seeded, seeded.Buckets("Red Kettle"));
    }

    [Fact]
    public void Field_mixing_separates_fields_and_is_off_by_default()
    {
        var shared = new HashedTokenizer();
        Assert.Equal(shared.Buckets("kettle", "query"), shared.Buckets("kettle", "title"));
        var mixed = new HashedTokenizer(new TokenizerOptions { FieldMixing = true });
        Assert.NotEqual(mixed.Buckets("kettle", "query"), mixed.Buckets("kettle", "title"));
        Assert.Equal(mixed.Bucket("title\u0001w:kettle"), mixed.Buckets("kettle", "title")[0]);
    }

    [Fact]
    public void Buckets_stay_in_range()
    {
        var t = new HashedTokenizer(new TokenizerOptions { Buckets = 17 });
        Assert.All(t.Buckets("the quick brown fox 快速的狐狸 jumps"), b => Assert.InRange(b, 0, 16));
    }

    /// <summary>Computed once with spec v1 (by bench/python/mmse_tokenizer.py, an independent port) and pinned: a change here breaks every trained model and the PyTorch port.</summary>
    private static class Golden
    {
        public static readonly int[] English = [398297, 306660, 1018663, 125635, 40155, 89962, 903302, 789168, 440587, 809492, 108771, 110392];
        public static readonly int[] Cjk = [719252, 154154, 458303, 601368, 369504];
        public static readonly int[] Mixed = [625553, 179499, 312159, 1034605, 337509, 502328, 153622, 719252, 154154, 458303, 601368, 369504];
        public static readonly int[] Seeded = [460, 617, 721, 522, 104, 145, 967, 760, 728, 427, 808, 336];
    }
}
