import Foundation
import Logging
import PostgresKit

/// PostgreSQL's LISTEN/NOTIFY on one channel, for servers that share a database: what one of
/// them publishes, the others hear (DESIGN.md, "one binary … real engine for scale").
///
/// The channel is per database and schema (`yingji_events`, or `yingji_events_<schema>`), so
/// installations or tests kept apart by schema never hear each other. SQLite has no channel: one
/// file is served by one process.
public struct NotificationChannel: Sendable {
    /// The channel's name (an identifier: `yingji_events[_<schema>]`, at most 63 bytes).
    public let name: String
    let configuration: PostgresConnection.Configuration
    let logger: Logger

    /// Largest payload PostgreSQL accepts is 8000 bytes; a message longer than this is not sent.
    public static let payloadLimit = 7_900

    init(schema: String?, configuration: PostgresConnection.Configuration, logger: Logger) {
        name = String(("yingji_events" + (schema.map { "_" + $0 } ?? "")).prefix(63))
        var configuration = configuration
        // Named in pg_stat_activity after its channel, so an operator can tell it from the others.
        configuration.options.additionalStartupParameters.append(("application_name", name))
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens a connection of its own, LISTENs, and runs `body` with the payloads heard and a way
    /// to NOTIFY on the same connection (a server also hears what it sent itself). The connection
    /// is closed when `body` returns or throws; a dropped connection ends `heard` with an error.
    public func withConnection<T: Sendable>(
        _ body: (_ heard: AsyncThrowingMapSequence<PostgresNotificationSequence, String>, _ send: @escaping @Sendable (String) async throws -> Void) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 99, logger: logger)
        do {
            let channel = name
            let result = try await connection.listen(on: channel) { notifications in
                try await body(notifications.map(\.payload)) { payload in
                    try await connection.sql().raw("SELECT pg_notify(\(bind: channel), \(bind: payload)) AS sent").run()
                }
            }
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
