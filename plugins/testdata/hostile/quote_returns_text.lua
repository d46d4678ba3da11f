-- want: result
-- call: quote
-- error: quote: returned a string; a pricing function must return a quote
function quote(ctx)
  return "EUR 100"
end
