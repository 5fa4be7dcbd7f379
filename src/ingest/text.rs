//! A CSV's text. The file is mapped, hashed and checked as UTF-8; a UTF-8
//! file is its own text. Otherwise it is decoded chunk by chunk: once the
//! file proves to be Windows-1251, each chunk is decoded as it comes, so
//! the decoded text is the only copy made — besides the part before its
//! first byte that is not UTF-8, usually its header line.
//!
//! The outcome is the same as decoding the whole file at once
//! (`table::decode_csv`): UTF-8 when every byte is, otherwise Windows-1251,
//! and a file that is mostly UTF-8 with a few lines in another encoding is
//! refused. A file that starts with a byte-order mark takes the whole-file
//! road, which handles every mark.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use encoding_rs::{CoderResult, Decoder, WINDOWS_1251};
use sha2::{Digest, Sha256};

use super::table::{Bytes, HighBytes, TextEncoding, mixed_encoding};

/// How much is read at a time.
const CHUNK: usize = 4 << 20;

/// A file read as text.
pub struct ReadText {
    /// UTF-8 text; `None` when the file starts with a byte-order mark and
    /// `raw` holds its bytes to be decoded whole.
    pub text: Option<(Bytes, TextEncoding)>,
    /// The file's bytes when `text` is `None`; empty otherwise.
    pub raw: Vec<u8>,
    /// SHA-256 of the file's bytes, in hex, as `manifest.json` records it.
    pub sha256: String,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Reads `path` as text; `forced` is the encoding given on the command line.
/// A file that is UTF-8 is its text as mapped, never copied.
pub fn read_text(path: &Path, name: &str, forced: Option<TextEncoding>) -> Result<ReadText> {
    let (mapped, sha256) = map_hashed(path, name)?;
    let bytes = mapped.len() as u64;
    if starts_with_bom(&mapped) || forced == Some(TextEncoding::Utf16) {
        // The whole-file road, which handles every mark.
        return Ok(ReadText {
            text: None,
            raw: mapped.to_vec(),
            sha256,
            bytes,
        });
    }
    let as_mapped = match forced {
        Some(given @ (TextEncoding::Utf8 | TextEncoding::Utf8Bom)) => Some(given),
        None if simdutf8::basic::from_utf8(&mapped).is_ok() => Some(TextEncoding::Utf8),
        _ => None,
    };
    let text = match as_mapped {
        Some(encoding) => (mapped, encoding),
        None => {
            // Windows-1251 (or so it seems): decoded chunk by chunk, so the
            // decoded text is the only copy held.
            let mut reader = Reader::new(forced, mapped.len());
            for chunk in mapped.chunks(CHUNK) {
                reader.push(chunk, false);
            }
            reader.push(&[], true);
            let (text, encoding) = reader.finish(name)?;
            (Bytes::from_vec(text), encoding)
        }
    };
    Ok(ReadText {
        text: Some(text),
        raw: Vec::new(),
        sha256,
        bytes,
    })
}

/// A file's bytes, mapped ([`map_file`]), and their SHA-256 in hex, as
/// `manifest.json` records it.
pub(super) fn map_hashed(path: &Path, name: &str) -> Result<(Bytes, String)> {
    let mapped = map_file(path).with_context(|| format!("не удалось прочитать {name}"))?;
    let sha256 = format!("{:x}", Sha256::digest(mapped.as_slice()));
    Ok((mapped, sha256))
}

/// A file's bytes, mapped from the page cache rather than read into fresh
/// memory: a national CSV read into a buffer spent most of its reading time
/// having the kernel zero the buffer's pages. (Polars maps files it scans
/// itself the same way.) The map is read-only; a file truncated while a run
/// reads it ends that run.
pub fn map_file(path: &Path) -> std::io::Result<Bytes> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(Bytes::from_vec(Vec::new()));
    }
    // SAFETY: the map is only read, and lives as long as the buffer that owns it.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Bytes::from_owner(map))
}

/// The marks `encoding_rs` would act on: UTF-8, UTF-16 LE and BE.
fn starts_with_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xEF\xBB\xBF")
        || bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF")
}

/// What the text is taken to be so far.
enum Mode {
    /// Every byte so far is UTF-8; `pending` is a sequence cut by the chunk.
    Utf8 { pending: Vec<u8> },
    /// UTF-8 because the command line says so (`utf8` or `utf8-bom`):
    /// taken as it is.
    ForcedUtf8(TextEncoding),
    /// Windows-1251: decoded as read; `first_bad_line` is the line of the
    /// first byte that was not UTF-8 (unknown when forced).
    Windows1251 {
        decoder: Decoder,
        decoded: String,
        first_bad_line: Option<usize>,
    },
}

struct Reader {
    mode: Mode,
    /// The text while it is UTF-8.
    text: Vec<u8>,
    /// Counted once the file proves not UTF-8, and only when the encoding
    /// was not forced.
    high_bytes: Option<HighBytes>,
}

impl Reader {
    fn new(forced: Option<TextEncoding>, size: usize) -> Self {
        let mode = match forced {
            // UTF-16 takes the whole-file road; see `read_text`.
            None | Some(TextEncoding::Utf16) => Mode::Utf8 {
                pending: Vec::new(),
            },
            Some(given @ (TextEncoding::Utf8 | TextEncoding::Utf8Bom)) => Mode::ForcedUtf8(given),
            Some(TextEncoding::Windows1251) => Mode::Windows1251 {
                decoder: WINDOWS_1251.new_decoder_without_bom_handling(),
                decoded: String::with_capacity(size),
                first_bad_line: None,
            },
        };
        let utf8_capacity = if matches!(mode, Mode::Windows1251 { .. }) {
            0
        } else {
            size
        };
        Self {
            mode,
            text: Vec::with_capacity(utf8_capacity),
            high_bytes: forced.is_none().then(HighBytes::default),
        }
    }

    /// Takes the next chunk; `last` after the end of the file.
    fn push(&mut self, chunk: &[u8], last: bool) {
        match &mut self.mode {
            Mode::ForcedUtf8(_) => self.text.extend_from_slice(chunk),
            Mode::Windows1251 {
                decoder, decoded, ..
            } => {
                if let Some(counts) = &mut self.high_bytes {
                    counts.add(chunk);
                }
                decode(decoder, chunk, decoded, last)
            }
            Mode::Utf8 { pending } => {
                let mut joined = std::mem::take(pending);
                joined.extend_from_slice(chunk);
                match simdutf8::compat::from_utf8(&joined) {
                    Ok(_) => self.text.extend_from_slice(&joined),
                    // A sequence cut by the end of the chunk: wait for the rest.
                    Err(e) if e.error_len().is_none() && !last => {
                        self.text.extend_from_slice(&joined[..e.valid_up_to()]);
                        *pending = joined[e.valid_up_to()..].to_vec();
                    }
                    Err(e) => self.switch_to_windows_1251(&joined, e.valid_up_to(), last),
                }
            }
        }
    }

    /// The first byte that is not UTF-8, at `valid_up_to` in `joined`: what
    /// was read so far is decoded again as Windows-1251, and so is the rest.
    fn switch_to_windows_1251(&mut self, joined: &[u8], valid_up_to: usize, last: bool) {
        let newlines = |b: &[u8]| memchr::memchr_iter(b'\n', b).count();
        let first_bad_line = newlines(&self.text) + newlines(&joined[..valid_up_to]) + 1;
        // Counted only now: a file that stays UTF-8 never needs them.
        if let Some(counts) = &mut self.high_bytes {
            counts.add(&self.text);
            counts.add(joined);
        }
        let mut decoder = WINDOWS_1251.new_decoder_without_bom_handling();
        let mut decoded = String::with_capacity(self.text.capacity());
        let so_far = std::mem::take(&mut self.text);
        decode(&mut decoder, &so_far, &mut decoded, false);
        drop(so_far);
        decode(&mut decoder, joined, &mut decoded, last);
        self.mode = Mode::Windows1251 {
            decoder,
            decoded,
            first_bad_line: Some(first_bad_line),
        };
    }

    fn finish(self, name: &str) -> Result<(Vec<u8>, TextEncoding)> {
        match self.mode {
            Mode::Utf8 { .. } => Ok((self.text, TextEncoding::Utf8)),
            Mode::ForcedUtf8(given) => Ok((self.text, given)),
            Mode::Windows1251 {
                decoded,
                first_bad_line,
                ..
            } => {
                if let (Some(counts), Some(line)) = (&self.high_bytes, first_bad_line)
                    && counts.mostly_utf8_cyrillic()
                {
                    bail!(mixed_encoding(name, line));
                }
                Ok((decoded.into_bytes(), TextEncoding::Windows1251))
            }
        }
    }
}

/// Decodes `source` onto the end of `out`.
fn decode(decoder: &mut Decoder, mut source: &[u8], out: &mut String, last: bool) {
    loop {
        if let Some(room) = decoder.max_utf8_buffer_length(source.len()) {
            out.reserve(room);
        }
        let (result, read, _) = decoder.decode_to_string(source, out, last);
        source = &source[read..];
        if matches!(result, CoderResult::InputEmpty) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::table::decode_text;

    /// Reads `bytes` in chunks of `chunk` bytes.
    fn read_in_chunks(
        bytes: &[u8],
        chunk: usize,
        forced: Option<TextEncoding>,
    ) -> Result<(Vec<u8>, TextEncoding)> {
        let mut reader = Reader::new(forced, bytes.len());
        for part in bytes.chunks(chunk) {
            reader.push(part, false);
        }
        reader.push(&[], true);
        reader.finish("t.csv")
    }

    #[test]
    fn chunked_reading_agrees_with_decoding_the_whole_file() {
        let utf8 = "школа;доля\nedu1;0,5\nЁлка;1\n".as_bytes().to_vec();
        let (cp1251, _, _) = WINDOWS_1251.encode("школа;доля\nedu1;0,5\nЁлка;1\n");
        // ASCII lines, then Windows-1251: the switch comes late.
        let mut late = b"a;b\n1;2\n3;4\n".to_vec();
        late.extend_from_slice(&cp1251);
        for bytes in [utf8, cp1251.to_vec(), late] {
            let whole = decode_text(bytes.clone(), None);
            for chunk in [1, 2, 3, 5, 64] {
                let chunked = read_in_chunks(&bytes, chunk, None).unwrap();
                assert_eq!(chunked, whole, "chunks of {chunk}");
            }
            let forced = decode_text(bytes.clone(), Some(TextEncoding::Windows1251));
            assert_eq!(
                read_in_chunks(&bytes, 3, Some(TextEncoding::Windows1251)).unwrap(),
                forced
            );
        }
    }

    #[test]
    fn a_file_mostly_utf8_with_a_windows_1251_line_is_refused_with_that_line() {
        let mut bytes = "школа;доля\nгимназия;1\nлицей;2\n".as_bytes().to_vec();
        let (line, _, _) = WINDOWS_1251.encode("ш;1\n");
        bytes.extend_from_slice(&line);
        for chunk in [1, 4, 100] {
            let err = read_in_chunks(&bytes, chunk, None).unwrap_err().to_string();
            assert!(
                err.contains("смешаны кодировки") && err.contains("строка 4"),
                "{err}"
            );
        }
        // With the encoding given, it is read as told.
        assert!(read_in_chunks(&bytes, 4, Some(TextEncoding::Windows1251)).is_ok());
    }

    #[test]
    fn a_sequence_cut_at_the_end_of_the_file_is_not_utf8() {
        let bytes = b"a;b\n1;\xD0".to_vec();
        let whole = decode_text(bytes.clone(), None);
        assert_eq!(whole.1, TextEncoding::Windows1251);
        assert_eq!(read_in_chunks(&bytes, 2, None).unwrap(), whole);
    }

    #[test]
    fn a_file_read_from_its_map_is_hashed_and_decoded_as_the_whole_file_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let (cp1251, _, _) = WINDOWS_1251.encode("школа;доля\nЁлка;0,5\n");
        let cases: [(&str, Vec<u8>); 3] = [
            ("utf8.csv", "школа;доля\nЁлка;0,5\n".as_bytes().to_vec()),
            ("cp1251.csv", cp1251.to_vec()),
            ("empty.csv", Vec::new()),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let read = read_text(&path, name, None).unwrap();
            assert_eq!(read.bytes, bytes.len() as u64, "{name}");
            assert_eq!(
                read.sha256,
                format!("{:x}", Sha256::digest(&bytes)),
                "{name}"
            );
            let (text, encoding) = read.text.unwrap();
            let whole = decode_text(bytes.clone(), None);
            assert_eq!((text.to_vec(), encoding), whole, "{name}");
        }
    }
}
