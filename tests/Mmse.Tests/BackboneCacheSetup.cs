using System.Runtime.CompilerServices;

namespace Mmse.Tests;

/// <summary>
/// Every test run gets its own backbone item cache (MMSE_BACKBONE_CACHE), so tests never read or
/// grow the user's ~/.cache/mmse, and two runs at once never share a cache file.
/// </summary>
internal static class BackboneCacheSetup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mmse-tests", "backbone-cache-" + Environment.ProcessId);
        Environment.SetEnvironmentVariable("MMSE_BACKBONE_CACHE", dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        };
    }
}
