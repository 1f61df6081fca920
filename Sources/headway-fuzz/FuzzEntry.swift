// The libFuzzer entry points for every `FuzzTarget` (HeadwayFuzzTargets). Built with `swift build --sanitize=fuzzer`
// (scripts/fuzz.sh), libFuzzer supplies `main`; the target is chosen by the environment variable
// HEADWAY_FUZZ_TARGET (`list` prints the names). Built without the sanitizer (as `swift build` does), the
// executable does nothing.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import HeadwayFuzzTargets

nonisolated(unsafe) private var selected: (any FuzzTarget.Type)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let names = FuzzTargets.all.map { $0.name }
    let requested = getenv("HEADWAY_FUZZ_TARGET").map { String(cString: $0) }
    if requested == "list" {
        print(names.joined(separator: "\n"))
        exit(0)
    }
    guard let requested, let target = FuzzTargets.named(requested) else {
        let message = "headway-fuzz: set HEADWAY_FUZZ_TARGET to one of: list, \(names.joined(separator: ", "))\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    // HEADWAY_FUZZ_WRITE_SEEDS=DIR: write the target's seeds into DIR (a new corpus) and stop.
    if let dir = getenv("HEADWAY_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
        for (i, seed) in target.seeds().enumerated() {
            let path = "\(dir)/seed-\(i)"
            guard let f = fopen(path, "wb") else {
                print("headway-fuzz: cannot write \(path)")
                exit(1)
            }
            _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
        }
        exit(0)
    }
    // Printed for scripts/fuzz.sh, which passes it on as -max_len.
    if getenv("HEADWAY_FUZZ_PRINT_MAX_LEN") != nil {
        print(target.maxInputBytes)
        exit(0)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selected else { return 0 }
    do {
        _ = try target.run(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError("\(error)")
    }
    return 0
}
