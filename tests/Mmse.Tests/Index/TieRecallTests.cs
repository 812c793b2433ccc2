using Mmse.Index;

namespace Mmse.Tests.Index;

public class TieRecallTests
{
    [Fact]
    public void Counts_scores_within_epsilon_of_the_kth_and_no_more_than_the_true_count()
    {
        // k-th true score 0.5: 0.4995 is a tie (within 1e-3), 0.498 is not.
        Assert.Equal(3, TieRecall.Count([0.9f, 0.5f, 0.4995f, 0.498f], 0.5f, 10));
        // Many tied results cannot count for more than the true results there are.
        Assert.Equal(2, TieRecall.Count([0.5f, 0.5f, 0.5f, 0.5f], 0.5f, 2));
        Assert.Equal(0, TieRecall.Count([], 0.5f, 3));
        Assert.Equal(0, TieRecall.Count([0.9f], 0.5f, 0));
    }
}
