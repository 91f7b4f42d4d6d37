//! Kana as receipt computers store them: older systems cannot hold small kana, so names are
//! written with their large forms (キョウコ as キヨウコ). synth writes names so, and
//! pseudonymize folds every spelling to them before hashing: one table for both.

/// The large form of a small kana, full or half width (ョ → ヨ, ｮ → ﾖ); any other character
/// as it is.
pub fn large_kana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ｧ' => 'ｱ',
        'ｨ' => 'ｲ',
        'ｩ' => 'ｳ',
        'ｪ' => 'ｴ',
        'ｫ' => 'ｵ',
        'ｯ' => 'ﾂ',
        'ｬ' => 'ﾔ',
        'ｭ' => 'ﾕ',
        'ｮ' => 'ﾖ',
        other => other,
    }
}
