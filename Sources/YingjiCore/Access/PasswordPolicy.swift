/// What a password must be. Checked when an account is made and when a password changes.
public enum PasswordPolicy {
    public static let minimumLength = 10
    /// bcrypt reads at most 72 bytes; a longer password would be silently cut.
    public static let maximumBytes = 72

    /// Why the password is refused, in Chinese; nil when it is acceptable.
    public static func problem(_ password: String, login: String) -> String? {
        if password.count < minimumLength { return "密码至少 \(minimumLength) 个字符" }
        if password.utf8.count > maximumBytes { return "密码最多 \(maximumBytes) 个字节（约 24 个汉字或 72 个英文字符）" }
        let kinds = [
            password.contains { $0.isLetter },
            password.contains { $0.isNumber },
            password.contains { !$0.isLetter && !$0.isNumber },
        ].filter { $0 }.count
        if kinds < 2 { return "密码须至少包含字母、数字、符号中的两类" }
        if !login.isEmpty, password.lowercased().contains(login.lowercased()) { return "密码不能包含登录名" }
        if Set(password).count < 4 { return "密码过于简单（不同字符太少）" }
        return nil
    }
}
