/// A plan file as a tree of values with the line each came from, independent of the YAML library.
///
/// YingjiPlans turns YAML into this tree; the core reads the tree into a `Plan`, so every
/// error can name the file, the line and the field path.
public indirect enum PlanNode: Sendable {
    case scalar(String, line: Int)
    case list([PlanNode], line: Int)
    case map([(key: String, value: PlanNode)], line: Int)
    case null(line: Int)

    public var line: Int {
        switch self {
        case .scalar(_, let line), .list(_, let line), .map(_, let line), .null(let line): return line
        }
    }

    var kindName: String {
        switch self {
        case .scalar: return "标量"
        case .list: return "列表"
        case .map: return "映射"
        case .null: return "空值"
        }
    }
}

/// An error in a plan file, located by file, line and field path.
public struct PlanFileError: Error, Equatable, Sendable, CustomStringConvertible, Encodable {
    public var file: String
    public var line: Int?
    public var field: String
    public var message: String

    public init(file: String, line: Int?, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return field.isEmpty ? "\(place): \(message)" : "\(place): \(field): \(message)"
    }
}
