//! Format auto-detection: by content first (the first line that is not
//! blank), by file extension only when the content does not decide (an
//! empty file, or a first line no format claims).

use std::path::Path;

use super::etcd::MARKER;
use super::Format;
use crate::io::COLUMNS;

/// The format the content of `text` shows, if any.
pub fn by_content(text: &str) -> Option<Format> {
    let first = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .find(|l| !l.is_empty() && !l.starts_with(';'))?;
    if first.starts_with(&format!("{},{}", COLUMNS[0], COLUMNS[1])) {
        return Some(Format::Csv);
    }
    if first.contains(MARKER) {
        return Some(Format::PorcupineEtcd);
    }
    let body = first.trim_start_matches(['[', '(']).trim_start();
    if let Some(inside) = body.strip_prefix('{') {
        let inside = inside.trim_start();
        if inside.starts_with('"') {
            return Some(Format::Jsonl);
        }
        if inside.starts_with(':') {
            // Porcupine's kv lines name a :key and carry no :time.
            let kv = first.contains(":key ") && !first.contains(":time ");
            return Some(if kv {
                Format::PorcupineKv
            } else {
                Format::JepsenEdn
            });
        }
    }
    None
}

/// The format a file name suggests, if any.
pub fn by_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(Format::Csv),
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        "edn" => Some(Format::JepsenEdn),
        "log" => Some(Format::PorcupineEtcd),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_each_format() {
        let cases = [
            ("index,time_ns,process,type,f,key,value\n", Format::Csv),
            ("\n{\"index\":0}\n", Format::Jsonl),
            (
                "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n",
                Format::PorcupineEtcd,
            ),
            (
                "{:process 0, :type :ok, :f :get, :key \"1\", :value nil}",
                Format::PorcupineKv,
            ),
            (
                "{:type :invoke, :f :read, :process 0, :time 5, :index 0}",
                Format::JepsenEdn,
            ),
            ("[{:type :invoke, :f :read, :process 0}", Format::JepsenEdn),
            ("; comment\n{:type :invoke}", Format::JepsenEdn),
        ];
        for (text, format) in cases {
            assert_eq!(by_content(text), Some(format), "{text:?}");
        }
        assert_eq!(by_content(""), None);
        assert_eq!(by_content("hello"), None);
    }

    #[test]
    fn extension_decides_only_known_suffixes() {
        assert_eq!(
            by_extension(Path::new("a/etcd_095.log")),
            Some(Format::PorcupineEtcd)
        );
        assert_eq!(by_extension(Path::new("h.CSV")), Some(Format::Csv));
        assert_eq!(by_extension(Path::new("c01-ok.txt")), None);
        assert_eq!(by_extension(Path::new("noext")), None);
    }
}
