using Mmse.Internals;

namespace Mmse.Tests.Internals;

public class OutputGuardTests
{
    [Fact]
    public void Same_file_is_found_through_symbolic_and_hard_links_but_not_for_a_copy()
    {
        using var dir = new TempDir();
        var file = dir.Write("a.txt", "x");
        var copy = dir.Write("copy.txt", "x");
        File.CreateSymbolicLink(dir.File("sym"), file);
        using (var ln = System.Diagnostics.Process.Start("ln", [file, dir.File("hard")]))
            ln.WaitForExit();
        Assert.True(OutputGuard.SameFile(file, file));
        Assert.True(OutputGuard.SameFile(file, Path.Combine(dir.Path, ".", "a.txt")));
        Assert.True(OutputGuard.SameFile(dir.File("sym"), file));
        Assert.True(OutputGuard.SameFile(file, dir.File("hard")));
        Assert.False(OutputGuard.SameFile(file, copy));
        Assert.False(OutputGuard.SameFile(file, dir.File("missing")));
    }

    [Fact]
    public void Check_creates_nothing_and_leaves_no_probe()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.txt", "x");
        new OutputGuard().Input("--in", input).File("--out", dir.File("deep/er/out.txt")).Folder("--dir", dir.File("new"), "a.txt").Check();
        Assert.Equal(["in.txt"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }
}
