import Foundation
import Hummingbird
import YingjiCore

/// `POST /api/v1/test/clock {"advanceSeconds": N}`: moves the server's clock forward, so a test
/// can watch a deadline pass. Registered only when the server was started with a test clock
/// (`yingji serve --demo --test-clock`, loopback only); any signed-in account may use it there.
struct TestClockRoutes {
    let server: Server
    let clock: AdjustableClock

    func add(to router: Router<YingjiRequestContext>) {
        router.post("api/v1/test/clock", use: advance)
    }

    @Sendable func advance(_ request: Request, context: YingjiRequestContext) async throws -> Response {
        var request = request
        _ = try context.requireIdentity()
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let body = try JSONBody(Data(buffer.readableBytesView), allowed: ["advanceSeconds"])
        let seconds = try body.requiredInt("advanceSeconds")
        guard (1...(366 * 86_400)).contains(seconds) else {
            throw APIError(.unprocessableContent, "clock.invalid_advance", "advanceSeconds 须为 1 到 31622400 之间的整数", field: "advanceSeconds")
        }
        clock.advance(by: TimeInterval(seconds))
        try await server.sweep()
        return JSONResponse.make(.ok, ["now": .time(clock.now())])
    }
}
