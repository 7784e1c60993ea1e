// Package wire decodes and encodes the nProbe → ntopng ZeroMQ wire format
// (docs/zmq-wire.md §2–§5; every §N in this package's comments is a
// section of that file) as pure functions over bytes:
//
//   - ParseHeader: the v0/v1/v2/v3 header frames, told apart by length,
//     with ntopng's byte-order rules and branch order; AppendHeaderV0..V3
//     write them.
//   - OpenPayload: TLV/JSON choice and zlib decompression (v3 flags or the
//     legacy 0x00 marker), streamed into a reusable buffer with a size cap.
//   - Decoder.DecodeTLVFlows / DecodeJSONFlows: flow records into a reused
//     engine.FlowRecord, keys resolved like ntopng (§3.4: numeric, "PEN.ID",
//     symbolic via Labels, the PEN-0 → ntop fallthrough) and values typed
//     per field (§5). Zero allocations per record in the steady state.
//   - TLVIterator: the generic nDPI TLV item reader.
//   - DecodeTLVCounter, DecodeJSONCounter, DecodeEvent, DecodeListeningPorts,
//     DecodeSNMPIfaces, DecodeOption, Labels.ApplyTemplate: the other topics.
//   - TLVWriter, EncodeTLVFlow, AppendJSONFlow: encoders for the emulator
//     and tests; TLVWriter is byte-identical to nDPI's serializer.
//
// Every error is an *Error whose Reason is one of the Reason* constants, a
// stable label for the collector's drop counters.
package wire
