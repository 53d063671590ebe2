import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YingjiCore
import YingjiServer

/// Bad input gets a 4xx naming the field, and nothing is stored.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let body: @Sendable () -> ByteBuffer
        let status: Int
        let code: String
        let field: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", body: { ByteBuffer(string: "{\"jurisdiction\": ") }, status: 400, code: "body.malformed_json", field: nil),
        Case(name: "empty body", body: { ByteBuffer() }, status: 400, code: "body.empty", field: nil),
        Case(name: "array instead of object", body: { ByteBuffer(string: "[1,2]") }, status: 422, code: "body.not_object", field: nil),
        Case(name: "unknown top-level field", body: { json(kunyuReport(extra: ["severity": "high"])) }, status: 422, code: "body.unknown_field", field: "severity"),
        Case(name: "unknown figure", body: { json(kunyuReport(extra: ["figures": ["deaths": 1, "injured": 2]])) }, status: 422, code: "body.unknown_field", field: "figures.injured"),
        Case(name: "count as text", body: { json(kunyuReport(extra: ["figures": ["deaths": "三"]])) }, status: 422, code: "body.wrong_type", field: "figures.deaths"),
        Case(name: "fractional count", body: { ByteBuffer(string: #"{"jurisdiction":"kunyu","figures":{"deaths":1.5}}"#) }, status: 422, code: "body.wrong_type", field: "figures.deaths"),
        Case(name: "negative count", body: { json(kunyuReport(extra: ["figures": ["deaths": -1, "missing": 0, "seriousInjuries": 0, "directLoss": 0]])) }, status: 422, code: "report.negative", field: "deaths"),
        Case(name: "missing plan field", body: {
            var body = kunyuReport()
            var fields = body["fields"] as! [String: Any]
            fields.removeValue(forKey: "place")
            body["fields"] = fields
            return json(body)
        }, status: 422, code: "report.missing_field", field: "place"),
        Case(name: "field not in the plan", body: {
            var body = kunyuReport()
            var fields = body["fields"] as! [String: Any]
            fields["weather"] = "晴"
            body["fields"] = fields
            return json(body)
        }, status: 422, code: "report.unknown_field", field: "weather"),
        Case(name: "occurred in the future", body: { json(kunyuReport(extra: ["occurredAt": "2026-03-01T03:10:00+08:00"])) }, status: 422, code: "report.future_time", field: "occurredAt"),
        Case(name: "known in the future", body: { json(kunyuReport(knownAt: at(30))) }, status: 422, code: "report.future_time", field: "knownAt"),
        Case(name: "time without offset", body: { json(kunyuReport(extra: ["occurredAt": "2026-03-01 02:00"])) }, status: 422, code: "body.invalid_time", field: "occurredAt"),
        Case(name: "unknown jurisdiction", body: { json(kunyuReport(extra: ["jurisdiction": "atlantis"])) }, status: 422, code: "jurisdiction.unknown", field: "jurisdiction"),
        Case(name: "unknown category", body: { json(kunyuReport(extra: ["category": "陨石"])) }, status: 422, code: "report.unknown_category", field: "category"),
        Case(name: "huge body", body: { ByteBuffer(string: "{\"fields\":{\"course\":\"" + String(repeating: "火", count: 40_000) + "\"}}") }, status: 413, code: "body.too_large", field: nil),
    ]

    @Test(arguments: cases) func refusedWithTheFieldAndNothingStored(_ bad: Case) async throws {
        try await TestServer.start(.sqlite).test { client in
            let response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(), body: bad.body())
            #expect(response.status.code == bad.status, "\(String(buffer: response.body))")
            let error = try errorField(response)
            #expect(error.code == bad.code)
            #expect(error.field == bad.field)
            #expect(!(error.message ?? "").isEmpty)
            let list = try object(try await get(client, "/api/v1/incidents"))
            #expect((list["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func requestsNeedAnAccountAndUnknownRoutesAnswerJSON() async throws {
        try await TestServer.start(.sqlite).test { client in
            var response = try await client.execute(uri: "/api/v1/incidents", method: .post, headers: headers(as: nil), body: json(kunyuReport()))
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="yingji""#)
            #expect(try errorField(response).code == "auth.required")
            #expect(try object(try await get(client, "/api/v1/incidents"))["items"] as? [Any] != nil)
            #expect((try await get(client, "/api/v1/incidents", as: nil)).status == .unauthorized)
            response = try await get(client, "/api/v1/incidents/inc_nosuchthing")
            #expect(response.status == .notFound)
            #expect(try errorField(response).code == "incident.not_found")
            response = try await get(client, "/api/v1/nowhere")
            #expect(response.status == .notFound)
            #expect(try errorField(response).code == "http.404")
            response = try await get(client, "/api/v1/incidents?grade=9")
            #expect(response.status == .badRequest)
            #expect(try errorField(response).field == "grade")
            response = try await get(client, "/api/v1/incidents?sort=asc")
            #expect(try errorField(response).field == "sort")
        }
    }

    @Test func transitionsRefuseUnknownActionsFieldsAndMissingVersion() async throws {
        try await TestServer.start(.sqlite).test { client in
            let id = try #require(try await create(client)["id"] as? String)
            var response = try await transition(client, id, ["action": "explode", "version": 1])
            #expect(try errorField(response).field == "action")
            response = try await transition(client, id, ["action": "verify", "version": 1, "level": 2])
            #expect(response.status == .unprocessableContent)
            #expect(try errorField(response).field == "level")
            response = try await transition(client, id, ["action": "verify"])
            #expect(try errorField(response).field == "version")
            response = try await transition(client, id, ["action": "verify", "version": "1"])
            #expect(try errorField(response).field == "version")
            let detail = try object(try await get(client, "/api/v1/incidents/\(id)"))
            #expect(detail["version"] as? Int == 1)
            #expect(detail["status"] as? String == "reported")
        }
    }
}
