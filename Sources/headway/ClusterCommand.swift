import ArgumentParser
import Foundation
import HeadwayRuntimeNIO

/// `headway cluster init`: makes the cluster key.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Cluster set-up.", subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new cluster key (256 random bits, hex) to a file only you can read; copy it to every device and pass it with --key-file.")

        @Option(help: ArgumentHelp("Where to write the key.", valueName: "file"))
        var keyFile: String

        @Flag(help: "Replace an existing key file.")
        var force = false

        func run() throws {
            if FileManager.default.fileExists(atPath: keyFile) && !force {
                throw ValidationError("'\(keyFile)' exists; pass --force to replace it (devices holding the old key will be refused)")
            }
            let fd = open(keyFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { throw ValidationError("cannot write '\(keyFile)': \(String(cString: strerror(errno)))") }
            let text = ClusterKey.generateHex() + "\n"
            _ = text.withCString { write(fd, $0, strlen($0)) }
            fchmod(fd, 0o600)
            close(fd)
            CLI.writeStderr("wrote a new cluster key to \(keyFile) (mode 600)\n")
        }
    }
}
