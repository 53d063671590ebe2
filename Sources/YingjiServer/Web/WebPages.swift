import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import YingjiCore

/// The templates, the interface strings and the static files of the web pages, loaded once.
/// Every string a page shows comes from `Strings/zh-CN.json` (so an English file can follow);
/// plan texts and names come from the plans and the database.
public struct WebPages: Sendable {
    let library: MustacheLibrary
    let strings: [String: String]
    let assets: [String: (type: String, data: Data)]
    /// The strings the page scripts use (keys `js.*`), as JSON for the body's `data-strings`.
    let scriptStrings: String
    /// Pages carry the server's time so countdowns follow it, not the reader's machine clock.
    let clock: WallClock

    public static func load(clock: WallClock = SystemClock()) async throws -> WebPages {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let strings = Bundle.module.url(forResource: "Strings", withExtension: nil),
              let assets = Bundle.module.url(forResource: "Static", withExtension: nil) else {
            throw WebPagesError.missingResources
        }
        let library = try await MustacheLibrary(directory: templates.path)
        let text = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: strings.appendingPathComponent("zh-CN.json")))
        var files: [String: (String, Data)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: assets.path) {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            files[name] = (type, try Data(contentsOf: assets.appendingPathComponent(name)))
        }
        let scripted = text.filter { $0.key.hasPrefix("js.") }
        let json = try JSONSerialization.data(withJSONObject: scripted, options: [.sortedKeys])
        return WebPages(library: library, strings: text, assets: files, scriptStrings: String(decoding: json, as: UTF8.self), clock: clock)
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
        let html = library.render(context, withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A piece of a page (no header, no footer), for the live parts that JavaScript swaps in.
    func fragment(_ template: String, values: [String: Any]) -> Response {
        var context = values
        context["t"] = strings
        let html = library.render(context, withTemplate: template) ?? ""
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func text(_ key: String) -> String { strings[key] ?? key }

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
    var description: String { "网页模板或静态文件缺失（YingjiServer 的资源包未找到）" }
}
