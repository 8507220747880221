/**
 * Topic vocabularies for synthetic ads. Each topic has words of its own, so the lexical content
 * encoder sees real text whose overlap follows the ground-truth topics; a shared pool of generic
 * advertising words adds realistic noise that carries no topic signal.
 */
export interface Topic {
  readonly name: string;
  readonly words: readonly string[];
}

const words = (list: string): readonly string[] => list.split(' ');

export const SYNTHETIC_TOPICS: readonly Topic[] = [
  {
    name: 'cycling',
    words: words(
      'bike cycling pedal saddle gravel peloton helmet chain derailleur sprint climb cadence tyre frame velodrome',
    ),
  },
  {
    name: 'running',
    words: words(
      'running marathon sneakers trail pace stride jog race finish mileage track runner tempo shoes interval',
    ),
  },
  {
    name: 'cooking',
    words: words(
      'recipe kitchen chef skillet simmer spice knife bake oven ingredients sauce roast dough pantry braise',
    ),
  },
  {
    name: 'coffee',
    words: words(
      'coffee espresso roast barista beans grinder latte brew crema pourover arabica cafe mug aroma filter',
    ),
  },
  {
    name: 'travel',
    words: words(
      'flight hotel beach passport island luggage resort itinerary tour cruise journey destination airport villa backpack',
    ),
  },
  {
    name: 'finance',
    words: words(
      'savings invest portfolio mortgage interest budget stocks pension dividend loan credit fund retirement tax bond',
    ),
  },
  {
    name: 'gaming',
    words: words(
      'console gamer controller quest multiplayer arcade level headset esports dungeon pixel respawn guild loot boss',
    ),
  },
  {
    name: 'gardening',
    words: words(
      'garden seeds compost soil bloom greenhouse pruning tomato hedge mulch watering seedling orchard perennial trowel',
    ),
  },
  {
    name: 'fitness',
    words: words(
      'gym workout strength dumbbell yoga stretch protein muscle squat cardio trainer mat core kettlebell reps',
    ),
  },
  {
    name: 'music',
    words: words(
      'guitar concert album vinyl melody drums festival piano chord band studio lyrics tour amplifier jazz',
    ),
  },
  {
    name: 'pets',
    words: words(
      'dog puppy cat kitten leash vet kibble collar grooming litter treats paws kennel fetch aquarium',
    ),
  },
  {
    name: 'home',
    words: words(
      'sofa furniture lamp rug kitchenette paint shelf mattress curtains decor renovation tiles cushion wardrobe drill',
    ),
  },
  {
    name: 'photography',
    words: words(
      'camera lens shutter aperture tripod portrait exposure sensor zoom prints landscape flash mirrorless focus darkroom',
    ),
  },
  {
    name: 'science',
    words: words(
      'telescope planet galaxy physics laboratory microscope experiment atoms orbit fossil genome chemistry robot rocket research',
    ),
  },
  {
    name: 'fashion',
    words: words(
      'dress jacket denim boots tailored linen handbag scarf wool runway outfit silk sneaker wardrobe knitwear',
    ),
  },
  {
    name: 'wellness',
    words: words(
      'sleep meditation mindful therapy spa breathing calm massage vitamins journal relax stress retreat tea herbal',
    ),
  },
];

/** Advertising words shared by every topic: present in ad text, no topic signal. */
export const GENERIC_AD_WORDS: readonly string[] = words(
  'new save today offer best free shipping discover premium quality limited members order now ' +
    'exclusive season collection deal try shop',
);
