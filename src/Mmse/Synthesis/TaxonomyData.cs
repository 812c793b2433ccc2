namespace Mmse.Synthesis;

/// <summary>
/// The hand-written word lists the taxonomy is built from. A department holds product
/// families; a family line is
/// <c>nouns|zh nouns # modifiers # attribute kinds # median price # complement families</c>,
/// where nouns and modifiers list the canonical word first and its synonyms after it
/// ("sofa,couch,settee|沙发"), and each modifier is <c>en forms|zh form</c>. A leaf product
/// type is one modifier with its family's noun ("running sneakers", "跑步运动鞋"), so the
/// lists stay short while the taxonomy has several hundred types.
/// </summary>
internal static class TaxonomyData
{
    public static readonly (string Department, string[] Families)[] Departments =
    [
        ("Electronics|数码电子",
        [
            "phone,smartphone,cell phone,mobile phone|手机,智能手机 # flagship|旗舰; budget,cheap|入门; foldable,flip|折叠屏; rugged|三防; kids|儿童 # color,storage # 450 # phone case,screen protector,charger",
            "phone case,phone cover|手机壳,保护壳 # clear,transparent|透明; wallet|钱包式; shockproof,armor|防摔; magnetic|磁吸; glitter|闪粉 # color # 14",
            "screen protector,screen guard|钢化膜,贴膜 # tempered glass|钢化玻璃; privacy,anti spy|防窥; matte,anti glare|磨砂; full cover|全屏 # pack # 9",
            "headphones,earphones,headset|耳机 # wireless,bluetooth|无线; noise cancelling,anc|降噪; gaming|游戏; sports,workout|运动; kids|儿童 # color # 70",
            "charger,charging adapter,power adapter|充电器,充电头 # fast,quick|快充; wireless|无线; car|车载; travel|旅行 # color # 18",
            "laptop,notebook,notebook computer|笔记本电脑,笔记本 # gaming|游戏; thin,slim|轻薄; business|商务; 2 in 1,convertible|二合一; student|学生 # color,storage # 800 # laptop bag,mouse",
        ]),
        ("Computers & Office|电脑办公",
        [
            "printer|打印机 # laser|激光; inkjet|喷墨; photo|照片; portable|便携; all in one,multifunction|多功能 # color # 180 # ink cartridge,printer paper",
            "ink cartridge,ink,toner|墨盒,硒鼓 # high yield,xl|大容量; refill|填充; compatible|兼容; original,genuine|原装 # pack # 28",
            "printer paper,copy paper,a4 paper|打印纸,复印纸 # recycled|再生; photo|相纸; glossy|光面; heavyweight|加厚 # pack # 12",
            "mouse,mice|鼠标 # wireless|无线; gaming|电竞; ergonomic,vertical|人体工学; silent|静音; travel,mini|迷你 # color # 22 # mouse pad",
            "mouse pad,mousepad,mouse mat|鼠标垫 # extended,xxl|超大; gaming|电竞; wrist rest|护腕; rgb|发光 # color # 12",
            "keyboard|键盘 # mechanical|机械; wireless|无线; gaming|电竞; ergonomic|人体工学; compact,mini|迷你 # color # 55 # mouse,mouse pad",
            "monitor,display,screen|显示器 # gaming|电竞; curved|曲面; 4k,uhd|4K; portable|便携; office|办公 # color # 230",
            "laptop bag,laptop sleeve,computer bag|电脑包 # messenger|邮差; sleeve|内胆; rolling|拉杆; waterproof|防水 # color,material # 30",
        ]),
        ("Home Appliances|家用电器",
        [
            "vacuum cleaner,vacuum,hoover|吸尘器 # cordless|无线; robot,robotic|扫地机器人; handheld|手持; upright|立式; wet dry|干湿两用 # color # 160",
            "air fryer|空气炸锅 # compact|迷你; family size,large|大容量; dual basket|双篮; oven style|烤箱式 # color,volume # 85",
            "blender,mixer|搅拌机,料理机 # portable|便携; high speed|破壁; hand,immersion|手持; smoothie|果汁 # color # 55",
            "kettle,electric kettle|电水壶,烧水壶 # gooseneck|鹅颈; travel|旅行; temperature control|温控; glass|玻璃 # color,volume # 32",
            "fan,electric fan|风扇,电风扇 # tower|塔式; desk|台式; pedestal,standing|落地; bladeless|无叶; clip|夹式 # color # 45",
            "heater,space heater|取暖器,暖风机 # oil filled|油汀; ceramic|陶瓷; infrared|红外; bathroom|浴室 # color # 50",
        ]),
        ("Kitchen|厨房用品",
        [
            "frying pan,skillet,pan|平底锅,煎锅 # nonstick,non stick|不粘; cast iron|铸铁; ceramic|陶瓷; grill|烧烤; deep|深 # size # 30 # spatula",
            "spatula,turner|锅铲,铲子 # silicone|硅胶; wooden|木质; slotted|漏; fish|鱼 # pack # 9",
            "knife,knives|刀,刀具 # chef,chefs|厨师; bread|面包; paring,fruit|水果; santoku|三德; steak|牛排 # pack # 25 # cutting board",
            "cutting board,chopping board|砧板,菜板 # bamboo|竹; large|大号; antibacterial|抗菌; double sided|双面 # size # 18",
            "water bottle,bottle,flask|水杯,水瓶 # insulated,thermos|保温; sports|运动; kids|儿童; collapsible|折叠; glass|玻璃 # color,volume # 16",
            "mug,coffee mug,cup|马克杯,杯子 # travel|随行; ceramic|陶瓷; insulated|保温; funny,novelty|创意 # color,pack # 12",
        ]),
        ("Furniture|家具",
        [
            "sofa,couch,settee|沙发 # sectional,l shaped|转角; loveseat,2 seater|双人; 3 seater,three seat|三人; reclining,recliner|功能; modular|模块 # color,material,style # 620 # cushion,sofa cover",
            "sofa cover,couch cover,slipcover|沙发套,沙发罩 # stretch|弹力; waterproof|防水; pet proof|防猫抓; quilted|绗缝 # color,size # 28",
            "chair|椅子,椅 # office|办公; gaming|电竞; dining|餐; accent,armchair|休闲; folding|折叠 # color,material # 120",
            "desk,table|书桌,桌子 # standing,stand up|升降; computer|电脑; writing|写字; corner,l shaped|转角; kids|儿童 # color,material # 170 # chair,lamp",
            "bed frame,bed|床,床架 # platform|平台; bunk|上下; storage|储物; upholstered|软包; canopy|四柱 # size,material,style # 320 # mattress,bed sheets",
            "mattress|床垫 # memory foam|记忆棉; spring,innerspring|弹簧; latex|乳胶; hybrid|混合; folding|折叠 # size # 360 # bed sheets,pillow",
            "bookshelf,bookcase,shelf|书架,书柜 # corner|转角; ladder|梯形; kids|儿童; floating,wall mounted|壁挂 # color,material # 90",
        ]),
        ("Home Textiles & Decor|家纺家饰",
        [
            "bed sheets,sheet set,sheets|床单,床品 # flannel|法兰绒; microfiber|磨毛; deep pocket|深袋; satin|缎面; bamboo|竹纤维 # color,size # 38",
            "pillow,pillows|枕头 # memory foam|记忆棉; down|羽绒; cervical,neck|护颈; body|长; travel|旅行 # pack # 24",
            "cushion,throw pillow,cushion cover|抱枕,靠垫 # velvet|丝绒; outdoor|户外; decorative|装饰; floor|坐垫 # color,pack # 15",
            "curtains,drapes|窗帘 # blackout|遮光; sheer|纱帘; thermal|保暖; kids|儿童 # color,size # 34",
            "rug,carpet,area rug|地毯 # shag,shaggy|长毛; washable|可水洗; runner|走廊; outdoor|户外; round|圆形 # color,size,style # 70",
            "lamp,light|台灯,灯 # desk|书桌; floor|落地; bedside|床头; led|led; clip on|夹式 # color,style # 35 # light bulb",
        ]),
        ("Clothing|服装",
        [
            "t shirt,tee,tshirt|T恤,短袖 # graphic,printed|印花; v neck|V领; crew neck|圆领; oversized|宽松; long sleeve|长袖 # color,size,gender,material # 16",
            "jacket,coat|夹克,外套 # rain,waterproof|防水; down,puffer|羽绒; denim,jean|牛仔; leather|皮; fleece|抓绒 # color,size,gender # 75",
            "jeans,denim pants,denims|牛仔裤 # skinny|紧身; straight|直筒; bootcut,flare|喇叭; ripped,distressed|破洞; high waisted|高腰 # color,size,gender # 40",
            "dress|连衣裙,裙子 # maxi,long|长款; summer|夏季; party,cocktail|派对; wrap|裹身; floral|碎花 # color,size,style # 36",
            "socks,sock|袜子 # ankle,no show|船; crew|中筒; compression|压缩; wool|羊毛; athletic|运动 # color,pack,gender # 10",
            "hoodie,sweatshirt,hooded sweatshirt|卫衣,连帽衫 # zip up|拉链; pullover|套头; fleece|加绒; cropped|短款 # color,size,gender # 35",
        ]),
        ("Shoes|鞋靴",
        [
            "sneakers,trainers,sneaker,tennis shoes|运动鞋,球鞋 # running,jogging|跑步; basketball|篮球; walking|健步; training,gym|训练; skate|板 # color,size,gender # 65 # socks",
            "boots,boot|靴子,靴 # hiking|登山; rain|雨; snow,winter|雪地; work,safety|劳保; chelsea|切尔西 # color,size,gender # 85",
            "sandals,sandal|凉鞋 # slide|一字; beach|沙滩; sport|运动; platform|厚底 # color,size,gender # 26",
            "slippers,slipper,house shoes|拖鞋 # memory foam|记忆棉; fuzzy,fluffy|毛绒; bath|浴室; indoor|室内 # color,size,gender # 15",
        ]),
        ("Beauty|美妆",
        [
            "lipstick,lip color|口红,唇膏 # matte|哑光; liquid|液体; long lasting|持久; moisturizing|滋润 # color # 16",
            "moisturizer,face cream,lotion|面霜,乳液 # night|晚霜; anti aging|抗衰老; oil free|清爽; spf|防晒; sensitive skin|敏感肌 # volume # 24",
            "foundation,base makeup|粉底,粉底液 # full coverage|遮瑕; matte|哑光; dewy|水光; cushion|气垫 # color,volume # 28",
            "perfume,fragrance,cologne|香水 # floral|花香; woody|木质; fresh|清新; oriental|东方 # volume,gender # 60",
        ]),
        ("Personal Care|个人护理",
        [
            "shampoo|洗发水 # anti dandruff|去屑; moisturizing|滋润; volumizing|蓬松; sulfate free|无硅油; kids|儿童 # volume,pack # 12 # conditioner",
            "conditioner,hair conditioner|护发素 # deep|深层; leave in|免洗; repair|修护; smoothing|顺滑 # volume # 12",
            "toothbrush|牙刷 # electric|电动; sonic|声波; soft bristle|软毛; kids|儿童; bamboo|竹 # color,pack # 28 # toothpaste",
            "toothpaste|牙膏 # whitening|美白; sensitive|抗敏; fluoride|含氟; kids|儿童; charcoal|竹炭 # pack # 5",
            "razor,shaver|剃须刀 # electric|电动; safety|手动; rotary|旋转; travel|便携 # color # 45",
        ]),
        ("Sports & Outdoors|运动户外",
        [
            "yoga mat,exercise mat|瑜伽垫 # thick|加厚; non slip|防滑; foldable|折叠; eco|环保 # color # 25",
            "dumbbells,dumbbell,weights|哑铃 # adjustable|可调; hex|六角; neoprene|包胶; vinyl|浸塑 # pack # 50",
            "tent|帐篷 # camping|露营; backpacking|徒步; pop up,instant|速开; family|家庭; beach|沙滩 # color # 120 # sleeping bag",
            "sleeping bag|睡袋 # mummy|木乃伊式; down|羽绒; kids|儿童; ultralight|超轻 # color # 60",
            "bicycle,bike,cycle|自行车,单车 # mountain|山地; road|公路; folding|折叠; electric,e bike|电动; kids|儿童 # color,size # 420 # helmet,bike lock",
            "helmet|头盔 # bike,cycling|骑行; ski|滑雪; motorcycle|摩托; skate|轮滑 # color,size # 45",
            "bike lock,bicycle lock|自行车锁,车锁 # u lock|U型; cable|钢缆; chain|链条; folding|折叠 # color # 22",
        ]),
        ("Toys|玩具",
        [
            "building blocks,building bricks,construction set|积木 # city|城市; technic|机械组; creative|创意; starter|入门 # pack # 35",
            "doll|娃娃,玩偶 # baby|婴儿; fashion|时尚; rag|布; princess|公主 # style # 25",
            "rc car,remote control car|遥控车 # off road|越野; drift|漂移; monster truck|大脚; racing|赛车; stunt|特技 # color # 45 # batteries",
            "puzzle,jigsaw puzzle,jigsaw|拼图 # 1000 piece|1000片; kids|儿童; 3d|立体; wooden|木质 # pack # 15",
            "plush toy,stuffed animal,soft toy|毛绒玩具,公仔 # teddy bear|泰迪熊; unicorn|独角兽; dinosaur|恐龙; giant|巨型 # color,size # 20",
        ]),
        ("Baby|母婴",
        [
            "diapers,nappies,diaper|纸尿裤,尿不湿 # newborn|新生儿; overnight|夜用; pull up|拉拉裤; swim|游泳 # size,pack # 30 # baby wipes",
            "baby wipes,wipes|湿巾 # sensitive|敏感肌; water based|纯水; unscented|无香; flushable|可冲 # pack # 10",
            "stroller,pram,pushchair,buggy|婴儿车,推车 # lightweight|轻便; jogging|慢跑; travel system|旅行; double|双人 # color # 240",
            "baby bottle,feeding bottle|奶瓶 # glass|玻璃; anti colic|防胀气; wide neck|宽口; newborn|新生儿 # volume,pack # 12",
        ]),
        ("Grocery|食品饮料",
        [
            "coffee|咖啡 # ground|咖啡粉; whole bean|咖啡豆; instant|速溶; decaf|低因; cold brew|冷萃 # pack # 15 # mug",
            "tea|茶,茶叶 # green|绿; black|红; oolong|乌龙; herbal|花草; matcha|抹茶 # pack # 12 # mug",
            "chips,crisps|薯片 # potato|土豆; tortilla|玉米; kettle|厚切; veggie|蔬菜 # pack # 4",
            "cooking oil,oil|食用油 # olive|橄榄; coconut|椰子; sunflower|葵花籽; avocado|牛油果 # volume # 12",
            "rice|大米,米 # jasmine|茉莉香; basmati|印度香; brown|糙; sushi|寿司 # pack # 18",
        ]),
        ("Pet Supplies|宠物用品",
        [
            "dog food,dog kibble|狗粮 # dry|干; wet,canned|湿; grain free|无谷; puppy|幼犬; senior|老年 # pack # 40 # dog bowl",
            "dog bowl,pet bowl|狗碗,宠物碗 # stainless|不锈钢; slow feeder|慢食; raised,elevated|抬高; travel|便携 # color,size # 14",
            "cat litter,litter|猫砂 # clumping|结团; tofu|豆腐; crystal|水晶; unscented|无香 # pack # 20",
            "pet bed,dog bed,cat bed|宠物窝,狗窝 # orthopedic|护脊; calming|安抚; waterproof|防水; heated|加热 # color,size # 35",
            "leash,dog leash,lead|牵引绳 # retractable|伸缩; reflective|反光; hands free|免手持; training|训练 # color,size # 15",
        ]),
        ("Automotive|汽车用品",
        [
            "seat cover,car seat cover|汽车座套,座套 # leather|皮革; universal|通用; waterproof|防水; heated|加热 # color # 50",
            "dash cam,dashcam,car camera|行车记录仪 # 4k|4K; front and rear|前后双录; wifi|WiFi; mini|迷你 # storage # 70 # memory card",
            "tire inflator,air compressor,tyre pump|充气泵,打气泵 # portable|便携; cordless|无线; digital|数显; heavy duty|大功率 # color # 45",
            "car wax,car polish|车蜡 # spray|喷雾; ceramic|镀晶; liquid|液体; paste|固体 # volume # 16",
        ]),
        ("Tools & Home Improvement|五金工具",
        [
            "drill,power drill,drill driver|电钻 # cordless|无线; hammer|冲击; compact|小型; right angle|直角 # color # 90 # drill bits,batteries",
            "drill bits,bit set|钻头 # masonry|水泥; wood|木工; metal,hss|金属; step|阶梯 # pack # 20",
            "screwdriver,screwdrivers|螺丝刀 # precision|精密; electric|电动; ratchet|棘轮; magnetic|磁性 # pack # 15",
            "tape measure,measuring tape|卷尺 # laser|激光; steel|钢; retractable|自锁; digital|数显 # color # 12",
            "light bulb,bulb,bulbs|灯泡 # led|LED; smart|智能; edison,vintage|复古; daylight|日光 # pack # 8",
            "batteries,battery|电池 # aa|5号; aaa|7号; rechargeable|充电; button,coin|纽扣 # pack # 10",
            "memory card,sd card|内存卡,存储卡 # micro sd,tf|TF; high speed|高速; camera|相机; endurance|耐用 # storage # 15",
        ]),
        ("Jewelry & Bags|珠宝箱包",
        [
            "watch,wristwatch|手表,腕表 # smart|智能; automatic,mechanical|机械; digital|电子; quartz|石英; dive,diving|潜水 # color,gender # 150 # watch band",
            "watch band,watch strap|表带 # leather|真皮; metal|金属; nylon|尼龙; magnetic|磁吸 # color # 15",
            "necklace,pendant|项链 # chain|链条; choker|锁骨; pearl|珍珠; name|定制 # color,material # 45",
            "earrings,studs|耳环,耳钉 # stud|耳钉; hoop|圈; drop,dangle|吊坠; clip on|耳夹 # color,material # 28",
            "handbag,purse,bag|手提包,包 # tote|托特; crossbody|斜挎; shoulder|单肩; clutch|手拿 # color,material,style # 60",
            "backpack,rucksack,daypack|双肩包,背包 # laptop|电脑; school|学生; hiking|登山; travel|旅行; anti theft|防盗 # color # 40",
        ]),
        ("Stationery|文具",
        [
            "pen,pens|笔 # gel|中性; ballpoint|圆珠; fountain|钢; marker|记号 # color,pack # 8",
            "notebook,journal,notepad|笔记本,本子 # spiral|线圈; hardcover|硬壳; dotted|点阵; lined,ruled|横线 # pack # 8",
            "sticky notes,post it notes|便利贴 # neon|荧光; lined|横线; large|大号; transparent|透明 # pack # 5",
        ]),
    ];

    /// <summary>
    /// Attribute kinds: <c>value forms|zh</c> per value, canonical form first; a form that
    /// starts with '~' is a shop abbreviation used in titles only, never in queries.
    /// </summary>
    public static readonly (string Key, string[] Values)[] Attributes =
    [
        ("color",
        [
            "black,~blk|黑色", "white,~wht|白色", "grey,gray,~gry|灰色", "red|红色", "blue,~blu|蓝色",
            "navy,navy blue,dark blue|藏青色", "green,~grn|绿色", "pink|粉色", "beige,khaki|米色",
            "brown,~brn|棕色", "silver|银色", "gold,golden|金色", "purple,violet|紫色",
        ]),
        ("material",
        [
            "cotton|纯棉", "leather,genuine leather|真皮", "faux leather,pu leather,vegan leather|人造革",
            "wood,wooden,solid wood|实木", "metal,steel|金属", "fabric,cloth|布艺", "velvet|丝绒", "linen|亚麻",
        ]),
        ("size", ["small,~sm|小号", "medium,~med|中号", "large,~lg|大号", "extra large,xl|加大"]),
        ("storage", ["64gb,64 gb|64G", "128gb,128 gb|128G", "256gb,256 gb|256G", "512gb,512 gb|512G", "1tb,1 tb|1T"]),
        ("volume", ["250ml,250 ml|250毫升", "500ml,500 ml|500毫升", "1l,1 liter,1 litre|1升", "2l,2 liter,2 litre|2升", "5l,5 liter|5升"]),
        ("pack", ["single,1 pack|单只装", "2 pack,pack of 2,set of 2,~2pk|2只装", "3 pack,pack of 3,~3pk|3只装", "4 pack,pack of 4,~4pk|4只装", "6 pack,pack of 6,~6pk|6只装", "12 pack,pack of 12,~12pk|12只装"]),
        ("gender", ["men,mens,men's,for men|男款,男士", "women,womens,women's,ladies,for women|女款,女士", "kids,children,boys girls|儿童", "unisex|男女通用"]),
        ("style", ["modern,contemporary|现代", "vintage,retro|复古", "minimalist,simple|简约", "classic|经典", "boho,bohemian|波西米亚"]),
    ];

    /// <summary>Marketing noise shops add to titles.</summary>
    public static readonly string[] NoiseEn =
    [
        "New", "2025", "Hot Sale", "Premium", "Free Shipping", "Best Seller", "Upgraded", "Gift", "Original",
        "High Quality", "Limited Edition", "Top Rated", "Fast Delivery", "Official", "Deluxe", "Pro", "Plus",
    ];

    public static readonly string[] NoiseZh =
    [
        "新款", "2025新款", "热卖", "包邮", "官方正品", "爆款", "升级版", "礼物", "限量", "旗舰店", "高品质", "顺丰", "精选",
    ];

    /// <summary>Syllables for generated brand names (Latin and Chinese renderings).</summary>
    public static readonly string[] BrandSyllables =
    [
        "ka", "lo", "vi", "ne", "tor", "ma", "ro", "zen", "qui", "del", "sa", "ri", "on", "bel", "fa", "ly",
        "pro", "nex", "ar", "te", "mi", "vo", "lux", "da", "gen", "co", "ul", "tra", "po", "xi", "nor", "vek",
    ];

    public static readonly string[] BrandSyllablesZh =
    [
        "凯", "洛", "维", "妮", "拓", "玛", "罗", "臻", "奎", "德", "萨", "瑞", "安", "贝", "法", "莉",
        "普", "耐", "雅", "特", "米", "沃", "乐", "达", "根", "科", "优", "创", "波", "希", "诺", "威",
    ];

    public static readonly string[] BrandSuffixes = ["", "", "", "", " Home", " Tech", " Pro", " Co", " Labs", " Life"];
}
