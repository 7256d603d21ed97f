-- The operations API lists orders and contracts newest first, a page at a time
-- (store::list_orders, store::list_contracts): each page is read in this order from here, from
-- where the previous page ended, instead of sorting the whole table for every page.
CREATE INDEX orders_created ON orders (created_ms DESC, merc_order_no);
CREATE INDEX contracts_created ON contracts (created_ms DESC, merc_contract_code);
