import ECGCore
import XCTest

/// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
final class SHA256Tests: XCTestCase {
    func testNISTShortVectors() {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([UInt8]()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                         + "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testMillionAsFedInPiecesAcrossBlockBoundaries() {
        var h = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { h.update(piece[...]) }
        XCTAssertEqual(h.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testEveryPaddingLengthMatchesOneShotAndByteWiseFeeding() {
        // 55, 56 and 64 bytes are the padding edge cases; byte-wise feeding must give the same digest.
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0, count: 55)),
                       "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0, count: 56)),
                       "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb")
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<n).map { UInt8($0 & 0xFF) }
            var h = SHA256()
            for b in bytes { h.update([b]) }
            XCTAssertEqual(h.hexDigest(), SHA256.hex(bytes), "length \(n)")
        }
    }
}
