import Foundation

/// An error the server answers with: an HTTP status and an OpenAI-shaped body
/// (`{"error": {"message", "type", "param", "code"}}`). The message names the offending value.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The body is not JSON, or not the JSON an endpoint takes (400).
        case invalidJSON = "invalid_json"
        /// A field has a value the endpoint cannot take (400).
        case invalidValue = "invalid_value"
        /// The prompt does not fit the context (400).
        case contextLengthExceeded = "context_length_exceeded"
        /// `model` names a model this server does not serve (404).
        case modelNotFound = "model_not_found"
        /// No path or method of that name (404).
        case notFound = "not_found"
        /// No device (or worker) can hold the model, or every sequence slot and the queue are taken (503).
        case unavailable = "unavailable"
        /// The generation failed inside the engine or runtime (500).
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String
    /// The request field at fault, if one is.
    public var param: String?

    public init(_ code: Code, _ message: String, param: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
    }

    public var status: Int {
        switch code {
        case .invalidJSON, .invalidValue, .contextLengthExceeded: 400
        case .modelNotFound, .notFound: 404
        case .unavailable: 503
        case .internalError: 500
        }
    }

    /// OpenAI's `error.type`.
    public var type: String {
        switch code {
        case .invalidJSON, .invalidValue, .contextLengthExceeded, .modelNotFound, .notFound: "invalid_request_error"
        case .unavailable: "service_unavailable_error"
        case .internalError: "server_error"
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The JSON body.
    public var body: Data {
        struct Envelope: Encodable {
            struct Inner: Encodable {
                var message: String
                var type: String
                var param: String?
                var code: String
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(message, forKey: .message)
                    try c.encode(type, forKey: .type)
                    try c.encode(param, forKey: .param)  // explicit null, as OpenAI sends
                    try c.encode(code, forKey: .code)
                }
                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            var error: Inner
        }
        let envelope = Envelope(error: .init(message: message, type: type, param: param, code: code.rawValue))
        return (try? JSONEncoder.server.encode(envelope)) ?? Data("{\"error\":{\"message\":\"\"}}".utf8)
    }
}

extension JSONEncoder {
    /// Compact, keys sorted (stable output for tests and logs), no escaped slashes.
    static var server: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
