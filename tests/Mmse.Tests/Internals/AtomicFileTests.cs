using System.Text;
using Mmse.Internals;

namespace Mmse.Tests.Internals;

public class AtomicFileTests
{
    private static void Write(AtomicFile file, string text) => file.Stream.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Files in the folder other than the target: a left-over temporary would show here.</summary>
    private static string[] Others(TempDir dir, string target) =>
        [.. Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Where(n => n != target).Cast<string>()];

    [Fact]
    public void Commit_replaces_the_old_file_and_leaves_no_temporary()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.txt", "old");
        using (var file = new AtomicFile(path))
        {
            Write(file, "new content");
            file.Commit();
        }
        Assert.Equal("new content", File.ReadAllText(path));
        Assert.Empty(Others(dir, "out.txt"));
    }

    [Fact]
    public void Commit_creates_a_file_that_did_not_exist()
    {
        using var dir = new TempDir();
        var path = dir.File("fresh.bin");
        using (var file = new AtomicFile(path))
        {
            Write(file, "x");
            file.Commit();
        }
        Assert.Equal("x", File.ReadAllText(path));
        Assert.Empty(Others(dir, "fresh.bin"));
    }

    [Fact]
    public void The_target_is_untouched_until_commit()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.txt", "old");
        using var file = new AtomicFile(path);
        Write(file, "new");
        file.Stream.Flush();
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.NotEqual(path, file.Stream.Name);
        Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(file.Stream.Name));
        file.Commit();
        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void Dispose_without_commit_keeps_the_old_file_and_removes_the_temporary()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.txt", "old");
        using (var file = new AtomicFile(path))
            Write(file, "half written");
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Empty(Others(dir, "out.txt"));
    }

    [Fact]
    public void Dispose_without_commit_creates_no_file()
    {
        using var dir = new TempDir();
        var path = dir.File("never.txt");
        using (var file = new AtomicFile(path))
            Write(file, "abandoned");
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_failing_writer_leaves_the_old_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.txt", "old");
        void WriteThenFail()
        {
            using var file = new AtomicFile(path);
            Write(file, "partial");
            throw new InvalidDataException("writer failed");
        }
        var e = Assert.Throws<InvalidDataException>(WriteThenFail);
        Assert.Equal("writer failed", e.Message);
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Empty(Others(dir, "out.txt"));
    }

    [Fact]
    public void Dispose_after_commit_keeps_the_new_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.txt", "old");
        var file = new AtomicFile(path);
        Write(file, "new");
        file.Commit();
        file.Dispose();
        file.Dispose();
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Empty(Others(dir, "out.txt"));
    }

    [Fact]
    public void A_missing_folder_is_created()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "a", "b", "out.txt");
        using (var file = new AtomicFile(path))
        {
            Write(file, "deep");
            file.Commit();
        }
        Assert.Equal("deep", File.ReadAllText(path));
        Assert.Equal([Path.Combine(dir.Path, "a", "b", "out.txt")], Directory.GetFiles(Path.Combine(dir.Path, "a", "b")));
    }

    [Fact]
    public void A_file_where_the_folder_should_be_is_a_clear_input_error()
    {
        using var dir = new TempDir();
        var blocker = dir.Write("blocker", "I am a file");
        var path = Path.Combine(blocker, "out.txt");
        var e = Assert.Throws<MmseInputException>(() => new AtomicFile(path));
        Assert.StartsWith($"{path}: cannot create the folder '{blocker}' (", e.Message, StringComparison.Ordinal);
        Assert.Equal("I am a file\n", File.ReadAllText(blocker));
        Assert.Equal([blocker], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_folder_as_the_target_is_a_clear_input_error()
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(dir.File("out")).FullName;
        var e = Assert.Throws<MmseInputException>(() => new AtomicFile(folder));
        Assert.Equal($"{folder}: is a folder, not a file", e.Message);
        Assert.True(Directory.Exists(folder));
        Assert.Equal([folder], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_failed_commit_leaves_no_temporary_after_dispose()
    {
        using var dir = new TempDir();
        var path = dir.File("out");
        var file = new AtomicFile(path);
        Write(file, "new");
        Directory.CreateDirectory(path);  // a folder appears where the file should go: the rename fails
        Assert.ThrowsAny<IOException>(file.Commit);
        file.Dispose();
        Assert.True(Directory.Exists(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Path_is_the_full_path()
    {
        using var dir = new TempDir();
        using var file = new AtomicFile(dir.File("x.txt"));
        Assert.True(Path.IsPathFullyQualified(file.Path));
        Assert.Equal(dir.File("x.txt"), file.Path);
    }

    [Fact]
    public void Two_writers_to_one_path_do_not_share_a_temporary_and_the_last_commit_wins()
    {
        using var dir = new TempDir();
        var path = dir.File("out.txt");
        using var first = new AtomicFile(path);
        using var second = new AtomicFile(path);
        Assert.NotEqual(first.Stream.Name, second.Stream.Name);
        Write(first, "first");
        Write(second, "second");
        first.Commit();
        Assert.Equal("first", File.ReadAllText(path));
        second.Commit();
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Empty(Others(dir, "out.txt"));
    }

    [Fact]
    public void Temporaries_of_dead_writers_are_removed_on_the_next_write_and_live_ones_kept()
    {
        using var dir = new TempDir();
        var path = dir.File("out.idx");
        // A process that has exited: its pid is not running (unless reused at once, which the
        // liveness check then treats as alive and keeps: never a wrong removal).
        int deadPid;
        using (var p = System.Diagnostics.Process.Start("true")!)
        {
            p.WaitForExit();
            deadPid = p.Id;
        }
        var stale = dir.Write($"out.idx.tmp-{deadPid}-{Guid.NewGuid():N}", "torn");
        var live = dir.Write($"out.idx.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}", "ours, being written");
        var foreign = dir.Write("out.idx.tmp-notes", "not a temporary of ours");
        var otherTarget = dir.Write($"other.idx.tmp-{deadPid}-{Guid.NewGuid():N}", "another target's");
        using (var file = new AtomicFile(path))
        {
            Write(file, "new");
            file.Commit();
        }
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(foreign));
        Assert.True(File.Exists(otherTarget));
        Assert.Equal("new", File.ReadAllText(path));
    }
}
