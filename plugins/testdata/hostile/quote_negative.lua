-- want: result
-- call: quote
-- error: quote: invalid quote: items[1].unit_price: must not be negative
function quote(ctx)
  return { currency = "EUR", items = { { description = "Refund", unit_price = -50 } } }
end
