/// What an identifier may be made of: its first character from one set, the rest from another,
/// the rest between so many characters long, all ASCII. Checked byte by byte: the same test as a
/// regular expression cost a regular expression's compilation on every call (Foundation compiles
/// it again each time), a few per cent of `serve --demo`'s start-up, and `$` there also let a final
/// newline through.
public struct NameRule: Sendable {
    private let first: Set<UInt8>
    private let rest: Set<UInt8>
    private let restLength: ClosedRange<Int>

    /// `first` and `rest` list the characters allowed.
    public init(first: String, rest: String, restLength: ClosedRange<Int>) {
        self.first = Set(first.utf8)
        self.rest = Set(rest.utf8)
        self.restLength = restLength
    }

    public func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let head = bytes.first, first.contains(head), restLength.contains(bytes.count - 1) else { return false }
        return bytes.dropFirst().allSatisfy(rest.contains)
    }

    private static let lowercase = "abcdefghijklmnopqrstuvwxyz"
    private static let digits = "0123456789"

    /// Jurisdiction ids: `kunyu`, `kunyu-224`.
    public static let jurisdiction = NameRule(first: lowercase + digits, rest: lowercase + digits + "-", restLength: 0...62)
    /// Organisation ids: `org.kunyu-chem`.
    public static let organisation = NameRule(first: lowercase + digits, rest: lowercase + digits + "._-", restLength: 0...62)
    /// Account logins: `kunyu-duty-officer`.
    public static let login = NameRule(first: lowercase + digits, rest: lowercase + digits + "._-", restLength: 1...31)
    /// PostgreSQL schema names.
    public static let schema = NameRule(first: lowercase + "_", rest: lowercase + digits + "_", restLength: 0...62)
}
