using Mmse.Backbone;

namespace Mmse.Tests.Backbone;

public class WordPieceTokenizerTests
{
    // ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, drill 4, ##s 5, ##ing 6, bit 7, - 8, 12 9, gauge 10, x 11
    private static readonly WordPieceTokenizer s_tokenizer = new(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "", "drill", "##s", "##ing", "bit", "-", "12", "gauge", "x"]);

    [Fact]
    public void Words_split_into_pieces_between_cls_and_sep()
    {
        Assert.Equal([2, 4, 5, 7, 5, 3], s_tokenizer.Encode("Drills BITS"));
        Assert.Equal([2, 4, 6, 3], s_tokenizer.Encode("drilling"));
        Assert.Equal([2, 9, 8, 10, 3], s_tokenizer.Encode("12-Gauge"));
    }

    [Fact]
    public void Package_quirks_are_kept()
    {
        // Unknown short word -> one [UNK]; unknown later piece keeps the earlier pieces and adds [UNK].
        Assert.Equal([2, 1, 3], s_tokenizer.Encode("zz"));
        Assert.Equal([2, 4, 1, 3], s_tokenizer.Encode("drillzz"));
        // A tab does not split words; a word over 50 characters is dropped.
        Assert.Equal([2, 4, 1, 3], s_tokenizer.Encode("drill\tx"));
        Assert.Equal([2, 7, 3], s_tokenizer.Encode(new string('x', 51) + " bit"));
        Assert.Equal([2, 3], s_tokenizer.Encode("   "));
    }

    [Fact]
    public void Long_texts_are_cut_at_512_ids()
    {
        var ids = s_tokenizer.Encode(string.Join(' ', Enumerable.Repeat("drills", 400)));
        Assert.Equal(WordPieceTokenizer.MaxTokens, ids.Length);
        Assert.Equal(2, ids[0]);
        Assert.Equal(4, ids[^1]);
    }
}
