import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import YingjiCore

/// The templates, the interface strings and the static files of the web pages, loaded once.
/// Every string a page shows comes from `Strings/zh-CN.json` (so an English file can follow);
/// plan texts and names come from the plans and the database.
public struct WebPages: Sendable {
    let templates: PageTemplates
    let strings: [String: String]
    let assets: [String: (type: String, data: Data)]
    /// The strings the page scripts use (keys `js.*`), as JSON for the body's `data-strings`.
    let scriptStrings: String
    /// Pages carry the server's time so countdowns follow it, not the reader's machine clock.
    let clock: WallClock

    /// The templates are read now and parsed on a thread of their own started here, unless
    /// `parseNow` is false (then `parseTemplates` starts it); a page asked for before the parse is
    /// done waits for it (`PageTemplates.ready`).
    /// `templateFailure` hears of a template that does not parse (its pages then answer 500).
    public static func load(clock: WallClock = SystemClock(), parseNow: Bool = true,
                            templateFailure: @escaping @Sendable (Error) -> Void = { _ in }) async throws -> WebPages {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let strings = Bundle.module.url(forResource: "Strings", withExtension: nil),
              let assets = Bundle.module.url(forResource: "Static", withExtension: nil) else {
            throw WebPagesError.missingResources
        }
        let library = try PageTemplates(directory: templates)
        if parseNow { library.parseOnThread(failure: templateFailure) }
        let text = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: strings.appendingPathComponent("zh-CN.json")))
        var files: [String: (String, Data)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: assets.path) {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            files[name] = (type, try Data(contentsOf: assets.appendingPathComponent(name)))
        }
        let scripted = text.filter { $0.key.hasPrefix("js.") }
        let json = try JSONSerialization.data(withJSONObject: scripted, options: [.sortedKeys])
        return WebPages(templates: library, strings: text, assets: files, scriptStrings: String(decoding: json, as: UTF8.self), clock: clock)
    }

    /// Parses the templates on a thread of its own: the server answers meanwhile. `serve` starts
    /// it once it listens, so the parse (about a quarter of start-up's CPU) does not hold up the
    /// start; by then Swift's tasks run on the event loops, where a parse would hold up a loop's
    /// sockets, so it is not a task.
    public func parseTemplates(templateFailure: @escaping @Sendable (Error) -> Void) {
        templates.parseOnThread(failure: templateFailure)
    }

    /// A page as a response: the template rendered with the strings (`t`) and the page's values.
    func page(_ template: String, title: String, identity: Identity?, catalog: JurisdictionCatalog,
              status: HTTPResponse.Status = .ok, values: [String: Any] = [:]) -> Response {
        var context = values
        context["t"] = strings
        context["title"] = title
        context["serverNow"] = Timestamp.format(clock.now())
        context["jsStrings"] = scriptStrings
        if let identity { context["user"] = user(identity, catalog: catalog) }
        guard let html = templates.render(context, withTemplate: template) else { return unparsed() }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A piece of a page (no header, no footer), for the live parts that JavaScript swaps in.
    func fragment(_ template: String, values: [String: Any]) -> Response {
        var context = values
        context["t"] = strings
        guard let html = templates.render(context, withTemplate: template) else { return unparsed() }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func text(_ key: String) -> String { strings[key] ?? key }

    /// The answer of every page while the templates do not parse (the log names the template).
    func unparsed() -> Response {
        Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text("templatesUnparsed"))))
    }

    /// The session's CSRF token for the page's forms ("" for a token-signed request, which has no forms).
    static func csrf(_ identity: Identity) -> String {
        if case .session(let token) = identity.method { return token }
        return ""
    }

    /// The values without empty strings: Mustache renders a section for any string, even "",
    /// so a plan text that is absent must be absent from the page's values too.
    static func present(_ values: [String: Any]) -> [String: Any] {
        values.filter { !(($0.value as? String)?.isEmpty ?? false) }
    }

    /// Who is signed in, where and as what, for the header of every page.
    func user(_ identity: Identity, catalog: JurisdictionCatalog) -> [String: Any] {
        [
            "name": identity.user.name, "login": identity.user.login, "csrf": Self.csrf(identity),
            "grants": identity.grants.map { grant in
                [
                    "jurisdictionName": grant.jurisdictionID == JurisdictionTree.everywhere ? (strings["allJurisdictions"] ?? "") : catalog.jurisdiction(grant.jurisdictionID)?.name ?? grant.jurisdictionID,
                    "roleName": grant.role.chineseName,
                ]
            },
        ]
    }
}

enum WebPagesError: Error, CustomStringConvertible {
    case missingResources
    case template(String, Error)

    var description: String {
        switch self {
        case .missingResources: return "网页模板或静态文件缺失（YingjiServer 的资源包未找到）"
        case .template(let name, let error): return "网页模板 \(name).mustache 无法解析：\(error)"
        }
    }
}

/// The page templates: read when the pages are loaded, parsed once, by the first of a thread
/// started for it (`serve` starts one once it listens) and the first page rendered (which waits
/// for the other). Parsing them was about a quarter of `serve`'s start-up CPU, and the API and
/// `/health` need none of them. A page asked for while the parse is under way waits for it
/// suspended (`ready`, called by `PageErrorMiddleware`), not holding up its event loop.
final class PageTemplates: @unchecked Sendable {
    private let sources: [(name: String, text: String)]
    /// Held for the whole parse, so the templates are parsed once.
    private let parseLock = NSLock()
    /// Guards `result`, `started` and `waiting`; never held for long.
    private let stateLock = NSLock()
    private var result: Result<MustacheLibrary, Error>?
    private var started = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Every `*.mustache` file of the directory, named by its file name without the extension.
    init(directory: URL) throws {
        sources = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().compactMap { file in
            guard file.hasSuffix(".mustache") else { return nil }
            return (String(file.dropLast(".mustache".count)), try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
        }
    }

    /// The parsed templates; the parse error (naming the template) if one does not parse. Parses
    /// them here, or waits for a parse under way elsewhere.
    func parsed() throws -> MustacheLibrary {
        if let done = stateLock.withLock({ result }) { return try done.get() }
        return try parseLock.withLock {
            if let done = stateLock.withLock({ result }) { return try done.get() }
            let parsed = Result<MustacheLibrary, Error> {
                var library = MustacheLibrary()
                for (name, text) in sources {
                    do { try library.register(text, named: name) } catch { throw WebPagesError.template(name, error) }
                }
                return library
            }
            let waiters = stateLock.withLock {
                result = parsed
                started = true
                defer { waiting = [] }
                return waiting
            }
            for waiter in waiters { waiter.resume() }
            return try parsed.get()
        }
    }

    /// Parses the templates on a thread of its own; `failure` hears of one that does not parse
    /// (also when another caller parsed them first).
    func parseOnThread(failure: @escaping @Sendable (Error) -> Void) {
        stateLock.withLock { started = true }
        startThread(failure: failure)
    }

    private func startThread(failure: @escaping @Sendable (Error) -> Void) {
        Thread.detachNewThread {
            do { _ = try self.parsed() } catch { failure(error) }
        }
    }

    /// Returns once the templates are parsed (or found not to parse), suspended meanwhile; starts
    /// the parse on a thread of its own when none has begun.
    func ready() async {
        guard !isParsed else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (done, start) = stateLock.withLock { () -> (Bool, Bool) in
                if result != nil { return (true, false) }
                waiting.append(continuation)
                defer { started = true }
                return (false, !started)
            }
            if done { continuation.resume() }
            // `serve` reports a template that does not parse from its own thread, started at listen.
            if start { startThread(failure: { _ in }) }
        }
    }

    /// Whether the templates have been parsed (or found not to parse) yet.
    var isParsed: Bool { stateLock.withLock { result != nil } }

    /// The template rendered ("" for a name no template has); nil when the templates do not
    /// parse (a test parses every template, so that does not reach a release unnoticed).
    func render(_ context: [String: Any], withTemplate name: String) -> String? {
        guard let library = try? parsed() else { return nil }
        return library.render(context, withTemplate: name) ?? ""
    }
}
