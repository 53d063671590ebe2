import Foundation

/// Where tests put their files: one directory for the whole test process under the system's
/// temporary directory, removed when the process exits, so test runs leave no databases behind.
public enum Scratch {
    public static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("yingji-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.directory) }
        return url
    }()

    /// A path in the scratch directory: `name` with a fresh UUID before its extension, so no two calls collide.
    public static func path(_ name: String, extension pathExtension: String = "sqlite") -> String {
        directory.appendingPathComponent("\(name)-\(UUID().uuidString).\(pathExtension)").path
    }
}
