using Mmse.Index;

namespace Mmse.Cli;

/// <summary>The <c>--walk fused|per-head</c> option of serve, search and eval (docs/index.md, "Multi-head search").</summary>
internal static class WalkOption
{
    public static MultiHeadWalk Walk(this CliArgs args) =>
        args.Choice("--walk", "fused", "fused", "per-head") == "fused" ? MultiHeadWalk.Fused : MultiHeadWalk.PerHead;
}
