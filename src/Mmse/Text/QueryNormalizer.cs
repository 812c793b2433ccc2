using System.Text;

namespace Mmse.Text;

/// <summary>The normal form of a query for grouping: NFKC, lower case, single spaces, trimmed.</summary>
public static class QueryNormalizer
{
    public static string Normalize(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var text = query.IsNormalized(NormalizationForm.FormKC) ? query : query.Normalize(NormalizationForm.FormKC);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var ch in text)
        {
            if (char.IsWhiteSpace(ch))
            {
                space = builder.Length > 0;
                continue;
            }
            if (space)
            {
                builder.Append(' ');
                space = false;
            }
            builder.Append(char.ToLowerInvariant(ch));
        }
        return builder.ToString();
    }
}
