//! Prints `docs/warehouse.md`:
//! `cargo run -p renkei-warehouse --example warehouse-doc > docs/warehouse.md`.

fn main() {
    print!("{}", renkei_warehouse::warehouse_document());
}
