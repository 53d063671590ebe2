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

    public static func load() async throws -> WebPages {
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
        return WebPages(library: library, strings: text, assets: files)
    }

    /// A page as a response: the template rendered with the strings (`t`) and the page's values.
    func page(_ template: String, title: String, identity: Identity?, catalog: JurisdictionCatalog,
              status: HTTPResponse.Status = .ok, values: [String: Any] = [:]) -> Response {
        var context = values
        context["t"] = strings
        context["title"] = title
        if let identity { context["user"] = Self.user(identity, catalog: catalog) }
        let html = library.render(context, withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func text(_ key: String) -> String { strings[key] ?? key }

    /// Who is signed in, where and as what, for the header of every page.
    static func user(_ identity: Identity, catalog: JurisdictionCatalog) -> [String: Any] {
        var csrf = ""
        if case .session(let token) = identity.method { csrf = token }
        return [
            "name": identity.user.name, "login": identity.user.login, "csrf": csrf,
            "grants": identity.grants.map { grant in
                [
                    "jurisdictionName": grant.jurisdictionID == JurisdictionTree.everywhere ? "全部辖区" : catalog.jurisdiction(grant.jurisdictionID)?.name ?? grant.jurisdictionID,
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
