namespace Mmse.Data;

/// <summary>
/// What a user did with a displayed item. Stored as a byte; the numeric order is the
/// depth of the action (the deepest action wins when an item appears twice).
/// </summary>
public enum UserAction : byte
{
    /// <summary>Exposed, no action (the default in the log format).</summary>
    None = 0,
    Click = 1,
    Cart = 2,
    Order = 3,
}

/// <summary>The graded levels of DESIGN §3: order 3, cart 2.5, click 2, none 1, random 0.</summary>
public static class Levels
{
    public const float Order = 3f;
    public const float Cart = 2.5f;
    public const float Click = 2f;
    public const float None = 1f;
    public const float Random = 0f;

    public static float Of(UserAction action) => action switch
    {
        UserAction.Order => Order,
        UserAction.Cart => Cart,
        UserAction.Click => Click,
        _ => None,
    };

    /// <summary>Gain grade used by ndcg@10 (§8): order 3, cart 2.5, click 2, none 0.</summary>
    public static float Grade(UserAction action) => action switch
    {
        UserAction.Order => 3f,
        UserAction.Cart => 2.5f,
        UserAction.Click => 2f,
        _ => 0f,
    };

    public static bool IsPositive(UserAction action) => action != UserAction.None;

    public static bool TryParse(ReadOnlySpan<char> text, out UserAction action)
    {
        switch (text)
        {
            case "none": action = UserAction.None; return true;
            case "click": action = UserAction.Click; return true;
            case "cart": action = UserAction.Cart; return true;
            case "order": action = UserAction.Order; return true;
            default: action = UserAction.None; return false;
        }
    }

    public static string Name(UserAction action) => action switch
    {
        UserAction.Order => "order",
        UserAction.Cart => "cart",
        UserAction.Click => "click",
        _ => "none",
    };
}
