# Writes a synthetic catalog (JSONL) and a query list for the server load test.
# Usage: awk -v n=100000 -v seed=7 -v queries=queries.txt -f gen-catalog.awk > catalog.jsonl
# Works with mawk and gawk. Titles are 4-7 words drawn from category-specific vocabularies, so queries have real matches.
BEGIN {
  srand(seed == "" ? 7 : seed);
  split("Tools > Hardware|Tools > Power Tools|Electronics > Phones|Electronics > Phone Accessories|Furniture > Sofas|Furniture > Tables|Grocery > Fruit|Grocery > Snacks|Home > Kitchen|Sports > Cycling", cats, "|");
  vocab[1] = "steel angle bracket hinge screw bolt nut washer hook shelf pack brass zinc";
  vocab[2] = "cordless drill driver saw grinder sander battery charger impact 18v brushless kit";
  vocab[3] = "smartphone phone 128gb 256gb 5g dual sim black grey blue unlocked android camera";
  vocab[4] = "case cover charger cable usb-c screen protector silicone clear wireless magnetic";
  vocab[5] = "sofa couch seat fabric leather grey brown corner recliner velvet cushion modular";
  vocab[6] = "table coffee dining oak walnut glass round extendable side desk wooden";
  vocab[7] = "apples bananas oranges organic fresh gala pears grapes bag bunch lemons";
  vocab[8] = "chips crisps cookies crackers nuts salted chocolate bar pack snack granola";
  vocab[9] = "pan pot knife kettle toaster blender cutting board steel nonstick set mug";
  vocab[10] = "bike bicycle helmet pump lights saddle tyre tube lock gloves chain";
  split("HardCo Boschmann Apple Samsung Spigen HomeLine Oakwood OrchardCo Crunchy KitchenPro Velo", brands, " ");
  split("black white grey red blue green", colors, " ");
  for (i = 0; i < n; i++) {
    c = int(rand() * 10) + 1;
    words = int(rand() * 4) + 4;
    nw = split(vocab[c], ws, " ");
    title = "";
    for (j = 0; j < words; j++)
      title = title (j ? " " : "") ws[int(rand() * nw) + 1];
    brand = brands[int(rand() * 11) + 1];
    printf "{\"id\":\"%d\",\"title\":\"%s %s\",\"brand\":\"%s\",\"category\":\"%s\",\"attributes\":{\"color\":\"%s\"},\"price\":%.2f}\n", \
      100000 + i, brand, title, brand, cats[c], colors[int(rand() * 6) + 1], 1 + rand() * 500;
  }
  if (queries != "") {
    for (q = 0; q < 1000; q++) {
      c = int(rand() * 10) + 1;
      words = int(rand() * 3) + 1;
      nw = split(vocab[c], ws, " ");
      text = "";
      for (j = 0; j < words; j++)
        text = text (j ? "+" : "") ws[int(rand() * nw) + 1];
      print text > queries;
    }
  }
}
