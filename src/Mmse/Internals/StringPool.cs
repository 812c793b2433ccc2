namespace Mmse;

/// <summary>Interns repeated strings (brands, categories, attribute keys) so each is stored once.</summary>
internal sealed class StringPool
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);

    public string Intern(string value)
    {
        if (_set.TryGetValue(value, out var existing))
            return existing;
        _set.Add(value);
        return value;
    }

    public string Intern(ReadOnlySpan<char> value)
    {
        var lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(value, out var existing))
            return existing;
        var s = value.ToString();
        _set.Add(s);
        return s;
    }
}
