using Mmse.Index;

namespace Mmse.Cli;

/// <summary>The <c>--walk fused|per-head</c> option of serve, search and eval (docs/index.md, "Multi-head search").</summary>
internal static class WalkOption
{
    public static MultiHeadWalk Walk(this CliArgs args) =>
        MultiHeadWalkNames.Parse(args.Choice("--walk", MultiHeadWalkNames.All[0], [.. MultiHeadWalkNames.All]));
}
