import Foundation
import Hummingbird

/// Answers every error in OpenAI's shape: `ServerError` with its own status, Hummingbird's `HTTPError` (unknown
/// path 404, body too large 413, ...) with its status, anything else 500.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            return Self.response(error)
        } catch let error as HTTPError {
            let code: ServerError.Code = error.status.code == 404 ? .notFound : error.status.code >= 500 ? .internalError : .invalidValue
            var e = ServerError(code, error.body ?? "\(error.status.code) \(error.status.reasonPhrase): \(request.method) \(request.uri.path)")
            if error.status.code == 404 { e.message = "no endpoint \(request.method) \(request.uri.path)" }
            return Self.response(e, status: error.status)
        } catch {
            return Self.response(ServerError(.internalError, "\(error)"))
        }
    }

    static func response(_ error: ServerError, status: HTTPResponse.Status? = nil) -> Response {
        Response(status: status ?? HTTPResponse.Status(code: error.status),
                 headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
    }
}
